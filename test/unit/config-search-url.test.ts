/**
 * CAIRN_SEARCH_URL without its scheme (`localhost:8888`, `searx.internal:8080`) is a URL to a
 * bare `z.url()`, whose scheme is then "localhost:": the config loaded, doctor said "✓ config",
 * and every web_search failed. It is refused at load, as CAIRN_BASE_URL is (http-url.ts).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ env, dotenv: false });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('CAIRN_SEARCH_URL', () => {
  it('is refused when the config loads if it has no http:// or https:// scheme, naming CAIRN_SEARCH_URL, as CAIRN_BASE_URL is', () => {
    // The control: the same mistake in CAIRN_BASE_URL is caught.
    expect(problems({ CAIRN_BASE_URL: 'localhost:11434/v1', CAIRN_MODEL: 'm' }).join('\n')).toMatch(/CAIRN_BASE_URL/);
    expect(problems({ CAIRN_SEARCH_PROVIDER: 'searxng', CAIRN_SEARCH_URL: 'localhost:8888' }).join('\n')).toMatch(/CAIRN_SEARCH_URL/);
    expect(problems({ CAIRN_SEARCH_PROVIDER: 'searxng', CAIRN_SEARCH_URL: 'searx.internal:8080' }).join('\n')).toMatch(/CAIRN_SEARCH_URL/);
  });

  it('takes an http:// or https:// address', () => {
    expect(problems({ CAIRN_SEARCH_PROVIDER: 'searxng', CAIRN_SEARCH_URL: 'http://searx.internal:8080' })).toEqual([]);
    expect(problems({ CAIRN_SEARCH_PROVIDER: 'brave', CAIRN_SEARCH_API_KEY: 'k', CAIRN_SEARCH_URL: 'https://proxy.example/brave' })).toEqual([]);
  });
});
