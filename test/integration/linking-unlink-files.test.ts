/**
 * Files an account sent while linked are kept under the person key. When that account leaves
 * (/unlink), the files of its conversations, and their history, go back to it, so its /forget
 * all deletes them; the person keeps what the other accounts sent.
 */
import { describe, expect, it } from 'vitest';
import { memoryReplies } from '../memory/helpers.js';
import type { InboundFile } from '../../src/core/message.js';
import { cmd, dm, link, useLinkingWorld, type World } from '../helpers/linking-world.js';

const linking = useLinkingWorld(memoryReplies(() => ({ notes: [] })));
let world: World;

describe('/forget all after /unlink', () => {
  it('deletes the files this account sent in its own conversation', async () => {
    world = linking.start({ CAIRN_KEEP_FILES_DAYS: '7', CAIRN_SESSION_IDLE_MINUTES: '100000' });
    const { cairn, telegram, slack } = world;
    await link(world, [telegram, '100'], [slack, 'U1']);
    const bytes = Buffer.from('salary: 123456\n'.repeat(10));
    const file: InboundFile = { label: 'a file (salary.txt)', fileName: 'salary.txt', contentType: 'text/plain', size: bytes.length, load: async () => bytes };
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'read this', { attachments: [file.label], files: [file] }))).toBe('turn');
    await cairn.gateway.receive(cmd(slack, 'U1', 'unlink'));
    await cairn.gateway.receive(cmd(slack, 'U1', 'forget', 'all'));
    const kept = cairn.db.prepare("SELECT COUNT(*) AS n FROM attachments WHERE conversation_id = 'slack:dm:U1'").get() as { n: number };
    expect({ reply: slack.texts().at(-1), keptInItsConversation: kept.n }).toEqual({ reply: expect.stringContaining('file'), keptInItsConversation: 0 });
  });

  it('hands back only what was said and sent on its platform, also when it held the person key', async () => {
    world = linking.start({ CAIRN_KEEP_FILES_DAYS: '7', CAIRN_SESSION_IDLE_MINUTES: '100000' });
    const { cairn, telegram, slack } = world;
    // Telegram issued the code: the person key is telegram:100, and passes to slack:U1 when Telegram leaves.
    await link(world, [telegram, '100'], [slack, 'U1']);
    expect(await cairn.gateway.receive(dm(telegram, '100', 'read this', { attachments: [textFile('a.txt').label], files: [textFile('a.txt')] }))).toBe('turn');
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'and this', { attachments: [textFile('b.txt').label], files: [textFile('b.txt')] }))).toBe('turn');
    await cairn.gateway.receive(cmd(telegram, '100', 'unlink'));
    expect(cairn.access.personOf('slack:U1')).toBe('slack:U1');
    const owners = (table: string) => cairn.db.prepare(`SELECT DISTINCT user_id FROM ${table} WHERE user_id IS NOT NULL ORDER BY user_id`).all().map((row) => (row as { user_id: string }).user_id);
    const files = cairn.db.prepare('SELECT conversation_id, user_id FROM attachments ORDER BY conversation_id').all();
    expect(files).toEqual([
      { conversation_id: 'slack:dm:U1', user_id: 'slack:U1' },
      { conversation_id: 'telegram:dm:100', user_id: 'telegram:100' },
    ]);
    expect({ sessions: owners('sessions'), messages: owners('messages') }).toEqual({ sessions: ['slack:U1', 'telegram:100'], messages: ['slack:U1', 'telegram:100'] });
    const telegramSession = cairn.db.prepare("SELECT user_id FROM sessions WHERE conversation_id = 'telegram:dm:100'").get();
    expect(telegramSession).toEqual({ user_id: 'telegram:100' });
  });
});

function textFile(fileName: string): InboundFile {
  const bytes = Buffer.from(`contents of ${fileName}\n`.repeat(10));
  return { label: `a file (${fileName})`, fileName, contentType: 'text/plain', size: bytes.length, load: async () => bytes };
}
