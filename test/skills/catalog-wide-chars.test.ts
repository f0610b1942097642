/**
 * Skills a team wrote in Japanese: the catalog's token budget holds (a CJK character is about a
 * token, not a quarter of one), and shortened descriptions end at a sentence or a whole character.
 */
import { describe, expect, it } from 'vitest';
import { renderCatalog, shorten } from '../../src/skills/catalog.js';
import { estimateTokens } from '../../src/memory/tokens.js';

/** Half of a surrogate pair: invalid text, which some providers refuse with a 400 (see headOf in src/core/text.ts). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('a catalog of skills with Japanese descriptions that does not fit whole', () => {
  it('stays within CAIRN_SKILLS_CATALOG_TOKENS as Cairn itself counts tokens, and lists as many as fit', () => {
    const entries = Array.from({ length: 200 }, (_, i) => ({
      name: `deploy-step-${i}`,
      description: `本番環境へのデプロイ手順その${i}。サービスを再起動し、ログを確認して、問題があればロールバックする。`,
      source: 'extra' as const,
    }));
    const catalog = renderCatalog(entries, { maxTokens: 2_000, query: 'デプロイ' });
    expect(catalog).toBeDefined();
    expect(estimateTokens(catalog)).toBeLessThanOrEqual(2_000);
    // Not far under either: the running count is the same estimate, rounded up per line.
    expect(estimateTokens(catalog)).toBeGreaterThan(1_900);
    expect(catalog).toMatch(/\(\d+ more skills are not listed here;/);
  });
});

describe('shortening a description written without spaces', () => {
  // No space to cut at, so the cut falls at half the limit (80 UTF-16 units), in the middle of the rocket.
  const description = `${'本番環境へのデプロイ手順'.repeat(6)}本番環境へのデ🚀${'サービスを再起動してログを確認する'.repeat(8)}`;

  it('never cuts an emoji in half', () => {
    expect(description.length).toBeGreaterThan(160);
    expect(description.slice(0, 80)).toMatch(LONE_SURROGATE);
    const short = shorten(description);
    expect(short).not.toMatch(LONE_SURROGATE);
    expect(short.endsWith('…')).toBe(true);
  });

  it('keeps no half emoji in the catalog of the system prompt', () => {
    const entries = Array.from({ length: 60 }, (_, i) => ({ name: `deploy-step-${i}`, description, source: 'extra' as const }));
    const catalog = renderCatalog(entries, { maxTokens: 2_000 }) ?? '';
    expect(catalog).toContain('- deploy-step-0: ');
    expect(catalog).not.toMatch(LONE_SURROGATE);
  });

  it('ends at the first sentence when a 。 closes one that fits', () => {
    const first = '本番環境へのデプロイ手順を説明し、ログの確認方法と再起動の仕方も示します。';
    expect(shorten(`${first}${'問題があればロールバックする。'.repeat(12)}`)).toBe(first);
  });
});
