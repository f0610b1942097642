/**
 * A file that cannot be read (a failed download, a damaged PDF, an old .xls) is refused with
 * why; the messages sent with it while Cairn was busy, which wait as one batch, are answered
 * all the same, each on its own and in order. They were lost with the file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { GatedModel } from '../helpers/gated-model.js';

let server: FakeModelServer;
let model: GatedModel;
let cairn: TestCairn;

beforeEach(async () => {
  server = await startFakeModelServer();
  model = new GatedModel();
  // Reflection off and sessions never idle: only the turns call the model.
  cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', CAIRN_SESSION_IDLE_MINUTES: '100000' }), { model });
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const file = (name: string, load: () => Promise<Buffer>): InboundFile => ({ label: `a file (${name})`, fileName: name, contentType: 'text/plain', size: 20, load });
const withFile = (text: string, attached: InboundFile): InboundMessage => cairn.adapter.message(text, { attachments: [attached.label], files: [attached] });

let firsts = 0;

/** Lets the first message's turn start, sends the rest behind it, then answers every turn the model is asked. */
async function behindATurn(rest: InboundMessage[]): Promise<string[]> {
  const outcomes = [cairn.gateway.receive(cairn.adapter.message('first', { messageId: `first${++firsts}` }))];
  await model.until(1);
  for (const message of rest) outcomes.push(cairn.gateway.receive(message));
  let settled = false;
  const all = Promise.all(outcomes).finally(() => (settled = true));
  for (let answered = 0; !settled; ) {
    if (model.started.length > answered) {
      answered++;
      model.release();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return (await all).map(String);
}

describe('a batch with a file that cannot be read', () => {
  it('refuses the file and answers the other messages sent with it, in order', async () => {
    const broken = file('notes.txt', async () => {
      throw new Error('download failed');
    });
    const outcomes = await behindATurn([cairn.adapter.message('what is the capital of France?'), withFile('here are my notes', broken), cairn.adapter.message('and of Spain?')]);

    expect(model.started).toEqual(['first', 'what is the capital of France?', 'and of Spain?']);
    expect(cairn.adapter.sent.map(({ reply }) => [reply.replyTo, reply.text])).toEqual([
      ['first1', 're: first'],
      ['m1', 're: what is the capital of France?'],
      ['m2', "I couldn't read your file (notes.txt): download failed. Paste the part that matters as text."],
      ['m3', 're: and of Spain?'],
    ]);
    expect(outcomes).toEqual(['turn', 'turn', 'joined', 'joined']);
  });

  it('still reads the files of the others, and a batch that reads well stays one turn', async () => {
    const notes = file('notes.txt', async () => Buffer.from('deploy at 9am'));
    const broken = file('broken.txt', async () => {
      throw new Error('download failed');
    });
    await behindATurn([withFile('my notes', notes), withFile('and the log', broken)]);
    expect(model.started).toEqual(['first', expect.stringContaining('deploy at 9am')]);
    expect(cairn.adapter.texts().at(-1)).toBe("I couldn't read your file (broken.txt): download failed. Paste the part that matters as text.");

    await behindATurn([cairn.adapter.message('hi'), withFile('my notes again', notes)]);
    expect(model.started.at(-1)).toMatch(/^hi\n\nmy notes again\n[\s\S]*deploy at 9am/);
  });
});
