/**
 * Messages sent while Cairn is busy in a conversation wait; those waiting together are
 * answered as one turn ("hi" / "can you check" / "the API logs"), in order, within the
 * input limit, and never across people, commands or slash commands.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundFile, InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { GatedModel } from '../helpers/gated-model.js';

let server: FakeModelServer;
let model: GatedModel;
let cairn: TestCairn;

function start(env: Record<string, string> = {}): void {
  model = new GatedModel();
  // Reflection off and sessions never idle: only the turns call the model.
  cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', CAIRN_SESSION_IDLE_MINUTES: '100000', ...env }), { model });
}

beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const GROUP = 'test:group:1';
const inGroup = (senderId: string, text: string, overrides: Partial<InboundMessage> = {}): InboundMessage =>
  cairn.adapter.message(text, { conversationId: GROUP, senderId, userId: `test:${senderId}`, userName: senderId, isDirect: false, addressed: true, ...overrides });

/** Lets the first message's turn start, then sends the rest behind it; releases turns until all are answered. */
async function behindATurn(first: InboundMessage, rest: InboundMessage[], turns: number): Promise<string[]> {
  const outcomes = [cairn.gateway.receive(first)];
  await model.until(1);
  for (const message of rest) outcomes.push(cairn.gateway.receive(message));
  for (let turn = 1; turn <= turns; turn++) {
    await model.until(turn);
    model.release();
  }
  return (await Promise.all(outcomes)).map(String);
}

describe('messages that wait behind a turn', () => {
  it('are answered together, as one message, in reply to the last of them', async () => {
    start();
    const messages = ['hi', 'can you check the deploy', 'the API logs', 'from this morning'].map((text) => cairn.adapter.message(text));
    const outcomes = await behindATurn(messages[0]!, messages.slice(1), 2);

    expect(model.started).toEqual(['hi', 'can you check the deploy\n\nthe API logs\n\nfrom this morning']);
    expect(outcomes).toEqual(['turn', 'turn', 'joined', 'joined']);
    expect(cairn.adapter.sent.map(({ reply }) => [reply.replyTo, reply.text])).toEqual([
      ['m1', 're: hi'],
      ['m4', 're: can you check the deploy\n\nthe API logs\n\nfrom this morning'],
    ]);
    // The session holds what the model was asked: one message for the three.
    const stored = cairn.db.prepare("SELECT content FROM messages WHERE role = 'user' ORDER BY seq").pluck().all();
    expect(stored).toEqual(['hi', 'can you check the deploy\n\nthe API logs\n\nfrom this morning']);
  });

  it('a message that finds nothing running starts at once, alone', async () => {
    start();
    const first = cairn.gateway.receive(cairn.adapter.message('one'));
    await model.until(1);
    model.release();
    expect(await first).toBe('turn');
    const second = cairn.gateway.receive(cairn.adapter.message('two'));
    await model.until(2);
    model.release();
    expect(await second).toBe('turn');
    expect(model.started).toEqual(['one', 'two']);
  });

  it('stay in order across members, commands and slash commands, which each start a turn of their own', async () => {
    start();
    const outcomes = await behindATurn(
      inGroup('ann', 'a0'),
      [
        inGroup('ann', 'a1'),
        inGroup('ann', 'a2'),
        inGroup('bob', 'b1'),
        inGroup('ann', 'a3'),
        inGroup('ann', '/help', { command: { name: 'help', args: '' } }),
        inGroup('ann', 'a4'),
        inGroup('ann', 'a5', { viaSlashCommand: true }),
        inGroup('ann', 'a6'),
        inGroup('ann', 'a7'),
      ],
      7,
    );
    expect(model.started.map((text) => text.replace(/\n\n/g, '+'))).toEqual(['a0', 'a1+a2', 'b1', 'a3', 'a4', 'a5', 'a6+a7']);
    expect(outcomes).toEqual(['turn', 'turn', 'joined', 'turn', 'turn', 'command', 'turn', 'turn', 'turn', 'joined']);
  });

  it('do not grow past the input limit together', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-batches-'));
    writeFileSync(join(dir, 'cairn.yaml'), 'agent:\n  maxInputChars: 150\n');
    start({ CAIRN_CONFIG: join(dir, 'cairn.yaml') });
    const long = 'x'.repeat(90);
    const outcomes = await behindATurn(cairn.adapter.message('first'), [cairn.adapter.message(long), cairn.adapter.message(`${long}!`), cairn.adapter.message('ok?')], 3);
    expect(model.started).toEqual(['first', long, `${long}!\n\nok?`]);
    expect(outcomes).toEqual(['turn', 'turn', 'turn', 'joined']);
  });

  it('bring every file they carried and what each replied to', async () => {
    start();
    const notes: InboundFile = { label: 'a file (notes.txt)', fileName: 'notes.txt', contentType: 'text/plain', size: 13, load: async () => Buffer.from('deploy at 9am') };
    await behindATurn(
      cairn.adapter.message('first'),
      [
        cairn.adapter.message('', { attachments: [notes.label], files: [notes] }),
        cairn.adapter.message('and what about this?', { replyingTo: { author: 'bob', text: 'ship it on friday', byBot: false } }),
      ],
      2,
    );
    const asked = model.started[1] ?? '';
    expect(asked).toContain('[In reply to a message by bob: "ship it on friday"]\nand what about this?');
    expect(asked).toContain('deploy at 9am');
    expect(asked).not.toContain('cannot see');
    // Kept as the sender's own (what notes learn from): their words and their file, not bob's message.
    const said = String(cairn.db.prepare("SELECT said FROM messages WHERE role = 'user' ORDER BY seq DESC LIMIT 1").pluck().get());
    expect(said).toContain('and what about this?');
    expect(said).toContain('deploy at 9am');
    expect(said).not.toContain('ship it on friday');
  });
});
