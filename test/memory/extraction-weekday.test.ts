/** "next Friday" needs the day of the week: the extraction prompt names it, on the local calendar. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
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

async function promptFor(env: Record<string, string>, messages: readonly [at: number, text: string][]): Promise<string> {
  cairn = startTestCairn(testConfig(server.url, { CAIRN_AUX_MODEL: 'aux-model', ...env }, tempDir()));
  for (const [at, text] of messages) {
    cairn.manualClock.set(at);
    await cairn.gateway.receive(cairn.adapter.message(text));
  }
  await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
  await cairn.notes.idle();
  return String((server.chatRequests().filter(isExtraction)[0] as ChatBody).messages[1].content);
}

describe('the day of the week in the extraction prompt', () => {
  it('names the local weekday of an evening west of UTC (Tuesday there, Wednesday in UTC)', async () => {
    const prompt = await promptFor({ CAIRN_TZ: 'America/Los_Angeles' }, [[Date.UTC(2026, 10, 25, 4, 0), 'My dentist appointment is next Friday at 9.']]);
    expect(prompt).toContain('2026-11-24 is a Tuesday');
    expect(prompt).not.toContain('Wednesday');
  });

  it('names both days of a conversation across midnight', async () => {
    const prompt = await promptFor({}, [
      [Date.UTC(2026, 10, 24, 23, 50), 'The release is on Friday.'],
      [Date.UTC(2026, 10, 25, 0, 10), 'thanks, good night'],
    ]);
    expect(prompt).toMatch(/2026-11-24 is a Tuesday.*2026-11-25 (is )?a Wednesday/);
  });
});
