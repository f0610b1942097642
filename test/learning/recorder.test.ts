/** Which task feedback lands on when many plain turns came and went (the recorder keeps the latest 1,000). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskRecorder } from '../../src/learning/recorder.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import type { TurnInput, TurnResult } from '../../src/core/agent.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { tempDir } from '../helpers/cairn.js';

const adapter = new RecordingAdapter();
const ALICE = 'test:alice';

/** A finished plain turn (no tool calls) answering `messageId` in `conversationId`. */
function plainTurn(conversationId: string, messageId: string): [TurnInput, TurnResult] {
  const message = { ...adapter.message(messageId, { messageId }), conversationId };
  const input = { message, session: {}, isAdmin: false, signal: new AbortController().signal } as unknown as TurnInput;
  const result = { sessionId: 's', text: `answer to ${messageId}`, stopReason: 'answered', steps: 1, toolCalls: [], usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 }, model: 'm', startedAt: 0, durationMs: 1, modelMs: 1, messages: [] } as unknown as TurnResult;
  return [input, result];
}

describe('task recorder', () => {
  it('forgets the oldest plain turns past 1,000, and with them a conversation whose latest turn that was', () => {
    const tasks = new TaskStore(openDatabase(join(tempDir('cairn-recorder-'), 'cairn.db')));
    const recorder = new TaskRecorder(tasks, new ManualClock(0));
    recorder.record(...plainTurn('quiet', 'q1'));
    for (let i = 0; i < 1_000; i++) recorder.record(...plainTurn('busy', `b${i}`));

    // 'quiet' had its only turn pushed out: there is nothing left there to judge.
    expect(recorder.taskForFeedback('quiet', ALICE)).toBeUndefined();
    expect(recorder.taskForFeedback('quiet', ALICE, 'q1')).toBeUndefined();
    // An older turn of 'busy', judged by a reaction, leaves the latest one to typed feedback.
    expect(recorder.taskForFeedback('busy', ALICE, 'b10')?.request).toBe('b10');
    expect(recorder.taskForFeedback('busy', ALICE)?.request).toBe('b999');
    // Judged once, a turn is a task: the same reaction again finds that task.
    expect(recorder.taskForFeedback('busy', ALICE, 'b10')?.id).toBe(tasks.recent(2)[1]?.id);
    expect(tasks.count()).toBe(2);
  });
});
