/** Recall within its token budget: one long pinned note does not shut out the rest, or the section. */
import { describe, expect, it } from 'vitest';
import { notesFixture, NOW } from './helpers.js';
import type { PrefixContext } from '../../src/core/prompt.js';

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
});
