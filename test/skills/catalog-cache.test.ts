/**
 * The catalog keeps what it made of the last skill set for the next session. A set that changed in
 * any way (a description edited, a skill added, removed or given another source) must be rendered
 * anew, and one set's pieces must not leak into another's catalog.
 */
import { describe, expect, it } from 'vitest';
import { renderCatalog, type CatalogEntry } from '../../src/skills/catalog.js';

const DEPLOY = `Deploy the service ${'with care and patience '.repeat(20)}`;
const listed = (text: string | undefined) => (text ?? '').split('\n').filter((line) => line.startsWith('- '));

/** Enough long skills that a small budget lists only some, ranked by the first message. */
function crowd(): CatalogEntry[] {
  return Array.from({ length: 40 }, (_, i) => ({
    name: `skill-${String(i).padStart(2, '0')}`,
    description: `Procedure ${i} for routine maintenance. ${'It explains every step in detail. '.repeat(10)}`,
    source: 'learned' as const,
  }));
}

describe('the catalog of a skill set that changed', () => {
  it('lists the edited description, not the one of the set before', () => {
    const before: CatalogEntry[] = [
      { name: 'a-skill', description: 'First version.', source: 'learned' },
      { name: 'b-skill', description: 'Second.', source: 'bundled' },
    ];
    expect(listed(renderCatalog(before, { maxTokens: 500 }))).toEqual(['- a-skill: First version.', '- b-skill: Second.']);
    const after = before.map((entry) => (entry.name === 'a-skill' ? { ...entry, description: 'Edited version.' } : entry));
    expect(listed(renderCatalog(after, { maxTokens: 500 }))).toEqual(['- a-skill: Edited version.', '- b-skill: Second.']);
    expect(listed(renderCatalog(after.slice(1), { maxTokens: 500 }))).toEqual(['- b-skill: Second.']);
    expect(listed(renderCatalog([...after, { name: 'c-skill', description: 'Third.', source: 'extra' }], { maxTokens: 500 }))).toEqual([
      '- a-skill: Edited version.',
      '- b-skill: Second.',
      '- c-skill: Third.',
    ]);
  });

  it('ranks by the edited description when not all skills fit', () => {
    const entries = crowd();
    entries.push({ name: 'rotate-certs', description: 'Rotate TLS certificates before they expire.', source: 'learned' });
    const query = 'our TLS certificate expires tomorrow';
    expect(listed(renderCatalog(entries, { maxTokens: 300, query }))).toContain('- rotate-certs: Rotate TLS certificates before they expire.');

    // Edited to be about something else, and another skill now about certificates.
    const edited = entries.map((entry) => {
      if (entry.name === 'rotate-certs') return { ...entry, description: 'Water the office plants on Fridays.' };
      if (entry.name === 'skill-07') return { ...entry, description: 'Renew TLS certificates that expire soon.' };
      return entry;
    });
    const lines = listed(renderCatalog(edited, { maxTokens: 300, query }));
    expect(lines).toContain('- skill-07: Renew TLS certificates that expire soon.');
    expect(lines.join('\n')).not.toContain('Rotate TLS');
  });

  it('breaks ties by the changed source, and fits the whole set again once the budget allows it', () => {
    const pair = (learned: string): CatalogEntry[] => [
      { name: 'x-one', description: DEPLOY, source: learned === 'x-one' ? 'learned' : 'bundled' },
      { name: 'x-two', description: DEPLOY, source: learned === 'x-two' ? 'learned' : 'bundled' },
    ];
    // Room for one shortened line and the line saying one more is left out, not for two.
    const only = (entries: CatalogEntry[]) => listed(renderCatalog(entries, { maxTokens: 155, query: 'deploy' })).map((line) => line.slice(2, 7));
    expect(only(pair('x-one'))).toEqual(['x-one']);
    expect(only(pair('x-two'))).toEqual(['x-two']);
    expect(listed(renderCatalog(pair('x-two'), { maxTokens: 5_000 }))).toHaveLength(2);
  });
});
