/**
 * A team that writes its skills and its requests in Japanese, Chinese or German: when the catalog
 * does not fit, the skills kept are the ones the first message is about, as they are for English.
 */
import { describe, expect, it } from 'vitest';
import { relevance, renderCatalog, words } from '../../src/skills/catalog.js';
import { parseSkill, suggestedName } from '../../src/skills/format.js';

/**
 * 120 skills about other things, and one about the request, sharing one budget. It is last by name
 * and its line is the longest (no room left over at the end takes it), so only relevance keeps it.
 */
function catalogFor(about: string, query: string): string {
  const description = `${about} ${'—'.repeat(40)}`;
  const others = Array.from({ length: 120 }, (_, i) => ({
    name: `chore-${String(i).padStart(3, '0')}`,
    description: `週次レポートの作成と共有の手順その${i}。表計算シートを更新して、チームに送る。`,
    source: 'extra' as const,
  }));
  const entries = [...others, { name: 'zz-wanted', description, source: 'extra' as const }];
  return renderCatalog(entries, { maxTokens: 1_500, query }) ?? '';
}

describe('catalog relevance in scripts without spaces', () => {
  it.each([
    ['Japanese', '本番環境へのデプロイ手順。サービスを再起動してログを確認する。', '本番環境にデプロイしたいのですが、手順を教えてください'],
    ['Chinese', '生产环境部署流程：重启服务并检查日志。', '怎么部署到生产环境？'],
    ['German with umlauts typed plain', 'Prüfung der Datenbank-Sicherung vor dem Löschen alter Stände.', 'Wie mache ich die Pruefung der Datenbank Sicherung?'],
  ])('keeps the skill a %s request is about', (_how, description, query) => {
    const catalog = catalogFor(description, query);
    expect(catalog).toMatch(/more skills are not listed here/);
    expect(catalog).toContain('- zz-wanted: ');
  });

  it('counts shared words of Japanese text as it does English words', () => {
    const query = words('デプロイの手順を教えて');
    expect(relevance({ name: 'deploy-prod', description: '本番環境へのデプロイ手順' }, query)).toBeGreaterThan(0);
    expect(relevance({ name: 'weekly-report', description: '週次レポートの作成' }, query)).toBe(0);
    expect([...words('How do I deploy the café?')]).toEqual(['deploy', 'cafe']);
  });
});

describe('skill names from other languages', () => {
  it('suggests a name with the accents folded, not cut out', () => {
    expect(suggestedName('Café-Übersicht')).toBe('cafe-ubersicht');
    expect(suggestedName('Straßen_Karte')).toBe('strassen-karte');
  });

  it('says a name in Japanese needs Latin letters and that the description may stay Japanese', () => {
    const result = parseSkill('---\nname: デプロイ手順\ndescription: 本番環境へのデプロイ手順。\n---\n本文\n', { mode: 'strict' });
    const message = result.errors.map((error) => error.message).join('\n');
    expect(message).toMatch(/Latin letters/);
    expect(message).toMatch(/description may be in any language/);
  });
});
