/**
 * The extraction prompt says when the conversation took place, from its first message to its
 * last, in the configured time zone (CAIRN_TZ): the model resolves "tomorrow" against it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { conversationDates } from '../../src/memory/notes/conversation-dates.js';
import { isExtraction, memoryReplies } from './helpers.js';

let server: FakeModelServer;
let cairn: TestCairn | undefined;
beforeEach(async () => {
  server = await startFakeModelServer();
  server.setDefault(memoryReplies(() => ({ notes: [] })));
});
afterEach(async () => {
  await cairn?.close();
  cairn = undefined;
  await server.close();
});

const extractionPrompt = () => String((server.chatRequests().filter(isExtraction)[0] as ChatBody).messages[1].content);

async function conversation(env: Record<string, string>, messages: readonly [at: number, text: string][]): Promise<string> {
  cairn = startTestCairn(testConfig(server.url, { CAIRN_AUX_MODEL: 'aux-model', ...env }, tempDir()));
  for (const [at, text] of messages) {
    cairn.manualClock.set(at);
    await cairn.gateway.receive(cairn.adapter.message(text));
  }
  await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
  await cairn.notes.idle();
  return extractionPrompt();
}

describe('the dates the extraction prompt gives', () => {
  it('a conversation across midnight: from the day it began to the day it ended', async () => {
    const prompt = await conversation({}, [
      [Date.UTC(2026, 10, 24, 23, 50), 'My flight to Lisbon is tomorrow morning, remind me to pack.'],
      [Date.UTC(2026, 10, 25, 0, 10), 'thanks, good night'],
    ]);
    expect(prompt).toContain('Conversation from 2026-11-24 23:50 to 2026-11-25 00:10 (UTC):');
  });

  it('with CAIRN_TZ=America/Los_Angeles, an evening conversation is dated by the local day', async () => {
    // 2026-11-25T04:00Z is 20:00 on 2026-11-24 in Los Angeles.
    const prompt = await conversation({ CAIRN_TZ: 'America/Los_Angeles' }, [[Date.UTC(2026, 10, 25, 4, 0), 'I have a dentist appointment tomorrow at 9.']]);
    expect(prompt).toContain('Conversation of 2026-11-24, 20:00 to 20:00 (America/Los_Angeles):');
  });

  it('names the day once when the conversation stays within it', () => {
    expect(conversationDates(Date.UTC(2026, 0, 5, 9, 0), Date.UTC(2026, 0, 5, 9, 45), 'Europe/Paris')).toBe('of 2026-01-05, 10:00 to 10:45 (Europe/Paris)');
  });
});
