import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_BINDINGS } from '../../src/config/env.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('architecture boundaries', () => {
  it('src/ imports no platform SDK and nothing from adapters/ (but the CLI entry that wires the console)', () => {
    const offenders = files('src').filter((path) => {
      const text = readFileSync(path, 'utf8');
      if (/from ['"](discord\.js|@slack\/bolt|grammy)['"]/.test(text)) return true;
      return /from ['"][./]*adapters\//.test(text) && !path.startsWith(join('src', 'cli'));
    });
    expect(offenders).toEqual([]);
  });

  it('every adapter folder has the same file names', () => {
    for (const dir of readdirSync('adapters')) {
      for (const name of ['index.ts', 'normalize.ts', 'render.ts', 'errors.ts']) expect(statSync(join('adapters', dir, name)).isFile()).toBe(true);
    }
  });

  it('README documents every environment variable', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const binding of ENV_BINDINGS) expect(readme).toContain(`\`${binding.name}\``);
  });
});
