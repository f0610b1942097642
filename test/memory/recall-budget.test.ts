/** Recall within its token budget (CAIRN_MEMORY_RECALL_TOKENS): one long pinned note does not shut out the rest, and nothing goes over it. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { notesFixture, NOW } from './helpers.js';
import type { PrefixContext } from '../../src/core/prompt.js';
import { Notes } from '../../src/memory/notes/index.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { estimateTokens } from '../../src/memory/tokens.js';
import { tempDir } from '../helpers/cairn.js';

const ALICE = 'test:alice';
const context = (firstMessage: string): PrefixContext => ({ userId: ALICE, userName: 'alice', conversationId: 'test:dm:alice', platform: 'test', isDirect: true, firstMessage, startedAt: NOW });

describe('recall within the token budget', () => {
  it('a long pinned note in Chinese (within memory_save\'s 1,000 characters) does not drop every other note and the section', () => {
    const { notes } = notesFixture(); // recallTokens 800, the default
    notes.store.add(ALICE, { text: 'Alice wants answers in British English.', kind: 'preference', origin: 'user', pinned: true, createdAt: NOW - 2_000 });
    notes.store.add(ALICE, { text: 'Alice deploys the billing service with Helm.', kind: 'fact', origin: 'model', createdAt: NOW - 1_000 });
    // Her project background, pinned last (newest first in the section): 900 characters ≈ 900 tokens.
    notes.store.add(ALICE, { text: `项目背景：${'我们的团队负责支付系统的后端服务开发和维护工作。'.repeat(36)}`, kind: 'fact', origin: 'user', pinned: true, createdAt: NOW });
    const section = notes.recall.render(context('the billing deploy failed again')) ?? '';
    expect(section).toContain('## Memory');
    expect(section).toContain('British English');
    expect(section).toContain('billing service with Helm');
  });

  it('counts the line naming the notes that did not fit: the section stays within the budget', () => {
    const notes = withBudget(100);
    for (let i = 0; i < 3; i++) {
      // Each line about 46 tokens: one fits beside the ~52-token header, with too little left for the "more" line.
      const text = `Alice keeps the runbook for service number ${i} in the ops wiki under the payments space, page ${i}.`;
      notes.store.add(ALICE, { text: text.padEnd(150, ' and more'), kind: 'fact', origin: 'user', pinned: true, createdAt: NOW - i });
    }
    const section = notes.recall.render(context('hello')) ?? '';
    expect(section).toContain('3 more notes did not fit');
    expect(estimateTokens(section)).toBeLessThanOrEqual(100);
  });

  it('gives no section at all with a budget of 0 (recall off), notes or none', () => {
    const notes = withBudget(0);
    expect(notes.recall.render(context('hello'))).toBeUndefined();
    notes.store.add(ALICE, { text: 'Alice prefers answers in British English.', kind: 'preference', origin: 'user', pinned: true, createdAt: NOW });
    expect(notes.recall.render(context('hello'))).toBeUndefined();
  });
});

function withBudget(recallTokens: number): Notes {
  const db = openDatabase(join(tempDir('cairn-recall-'), 'cairn.db'));
  return new Notes({ db, clock: new ManualClock(NOW), logger: silentLogger, recallTokens });
}
