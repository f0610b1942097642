/** The catalog's token budget holds for skills a team wrote in Japanese (a CJK character is about a token, not a quarter of one). */
import { describe, expect, it } from 'vitest';
import { renderCatalog } from '../../src/skills/catalog.js';
import { estimateTokens } from '../../src/memory/tokens.js';

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
