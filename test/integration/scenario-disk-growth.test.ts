/**
 * An operator runs `cairn start` for a 30-person team for a year, first on a small VM with a 10 GB
 * volume, later on a Raspberry Pi. Nothing in the database is deleted by age (conversations, tasks and
 * their trajectories, notes, the usage ledger, skill versions stay for memory, audits and `cairn usage`;
 * only kept files go after CAIRN_KEEP_FILES_DAYS), so they watch what grows and what they can do:
 * `cairn doctor` says how big the data folder is, what takes the space and how much the disk has left;
 * the nightly `cairn backup` from cron keeps only the newest copies; a large import beside the running
 * Cairn leaves no large WAL file behind; and the disk filling up mid-compression loses nothing, with
 * the conversation going on once space is freed.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BACKUP_MARK } from '../../src/cli/backup-keep.js';
import { UNFINISHED_MARK } from '../../src/cli/restore.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { WAL_SIZE_LIMIT, databasePath, openDatabase } from '../../src/store/db.js';
import { InstanceLease } from '../../src/store/instance-lease.js';
import { ManualTimers } from '../backends/helpers.js';
import type { InboundFile } from '../../src/core/message.js';
import type { ChatBody } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { keepOperatorVariables, operatorCli, startOnFolder } from '../helpers/operator-folder.js';

const rig = useFakeModelRig();
keepOperatorVariables();
const cli = operatorCli(rig);

/** A few weeks of one person's conversation: long messages, as pasted logs and drafts are. */
async function weeksOfTalk(dataDir: string) {
  const prod = startOnFolder(rig, dataDir, Date.UTC(2026, 0, 5, 9));
  rig.server.setDefault(() => ({ text: 'Done.' }));
  for (let i = 0; i < 40; i++) await prod.cairn.gateway.receive(prod.dm(`item ${i}: ${'here is the log of last night '.repeat(200)}`, `m${i}`));
  return prod;
}

describe('a year of a team on one small disk', () => {
  it('`cairn doctor` says how big the data folder is, what takes the space, and what the disk has left', async () => {
    const dataDir = tempDir();
    await weeksOfTalk(dataDir);
    await cli(dataDir, 'backup');
    const lines = await cli(dataDir, 'doctor');
    const line = lines.find((l) => l.startsWith('✓ data folder: ')) ?? lines.join('\n');
    expect(line).toMatch(new RegExp(`^✓ data folder: ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds \\d+(\\.\\d)? MB: the database \\d+(\\.\\d)? MB \\(messages \\d+(\\.\\d)? [kM]B, `));
    expect(line).toMatch(/ The disk has \d+(\.\d)? [kMG]B free of \d+(\.\d)? [kMG]B\.$/);
  });

  it('a nightly `cairn backup --keep 2` keeps the newest two, and leaves alone what is not a finished backup', async () => {
    const dataDir = tempDir();
    await weeksOfTalk(dataDir);
    const backups = join(dataDir, 'backups');
    // A year of nights before this version: a backup under the default name, without the mark.
    const first = (await cli(dataDir, 'backup'))[0]?.match(/^Backed up to (\S+):/)?.[1] as string;
    expect(existsSync(join(first, BACKUP_MARK))).toBe(true);
    const old = join(backups, '2026-01-01T03-00-00-000Z');
    cpSync(first, old, { recursive: true });
    rmSync(join(old, BACKUP_MARK));
    // What must stay: the set-aside of a restore, a backup being written now, a backup someone
    // started Cairn on (CAIRN_DATA_DIR pointed at it: a data folder now), and a folder of their own.
    const setAside = join(backups, 'before-restore-2026-02-01T10-00-00-000Z');
    cpSync(first, setAside, { recursive: true });
    const writing = join(backups, '2026-01-02T03-00-00-000Z.partial');
    mkdirSync(writing);
    writeFileSync(join(writing, UNFINISHED_MARK), JSON.stringify({ pid: process.pid, host: 'elsewhere' }));
    const ranOn = join(backups, '2026-01-03T03-00-00-000Z');
    cpSync(first, ranOn, { recursive: true });
    openDatabase(databasePath(ranOn)).close();
    const own = join(backups, 'notes');
    mkdirSync(own);
    writeFileSync(join(own, 'cairn.db'), 'not a backup');

    const night = await cli(dataDir, 'backup', '--keep', '2');
    const newest = night[0]?.match(/^Backed up to (\S+):/)?.[1] as string;
    expect(night.at(-1)).toBe(`Removed 1 older backup, keeping the newest 2: ${old}.`);
    expect(readdirSync(backups).sort()).toEqual(
      [first, newest, setAside, writing, ranOn, own].map((path) => path.slice(backups.length + 1)).sort(),
    );
    const next = await cli(dataDir, 'backup', '--keep', '2');
    expect(next.at(-1)).toBe(`Removed 1 older backup, keeping the newest 2: ${first}.`);
    expect(existsSync(newest)).toBe(true);
  });

  it('a large import beside the running Cairn leaves no large WAL file once Cairn writes again', async () => {
    const dataDir = tempDir();
    const prod = await weeksOfTalk(dataDir);
    // Large enough that the import's own frames pass the limit, wherever in the log the import begins (the talk's frames before it may have been checkpointed).
    const lines = Array.from({ length: 3_200 }, (_, i) => JSON.stringify({ text: `Imported fact ${i}: ${'the team keeps its runbooks in the wiki '.repeat(100)}`, created_at: '2025-06-01T10:00:00Z' }));
    writeFileSync(join(dataDir, 'notes.jsonl'), `${lines.join('\n')}\n`);
    expect(await cli(dataDir, 'memory', 'import', '--user', 'telegram:1', join(dataDir, 'notes.jsonl'))).toContain('Imported 3200 notes for telegram:1.');
    expect(statSync(`${databasePath(dataDir)}-wal`).size).toBeGreaterThan(WAL_SIZE_LIMIT);
    for (let i = 0; i < 3; i++) await prod.cairn.gateway.receive(prod.dm(`and one more thing ${i}`, `after${i}`));
    expect(statSync(`${databasePath(dataDir)}-wal`).size).toBeLessThanOrEqual(WAL_SIZE_LIMIT);
  });

  it('the disk filling up while a long conversation is compressed loses nothing, and it is compressed once space is freed', async () => {
    const cairn = rig.start({ TELEGRAM_ALLOWED_USERS: '1', CAIRN_CONTEXT_TOKENS: '8000', CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0' });
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    const { db } = cairn;
    const isSummary = (body: ChatBody) => String(body.messages?.[0]?.content ?? '').startsWith('You compress');
    let diskFull = false;
    rig.server.setDefault((request) => {
      const body = request.body as ChatBody;
      if (!isSummary(body)) return { text: 'Done.' };
      // The disk fills while the summarizer writes: the summary, a long one, needs pages SQLite may no longer add.
      if (diskFull) db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      // Each summary longer than the one before: it needs pages of its own.
      return { text: `Summary: the person sent their shift logs one by one. ${'Each log lists the alerts of the night. '.repeat(150 * summaries())}` };
    });
    const say = (text: string, id: string) => {
      cairn.manualClock.advance(60_000);
      return cairn.gateway.receive(telegram.message(text, { messageId: id, senderId: '1', userId: 'telegram:1', conversationId: 'telegram:1', isDirect: true }));
    };
    const summaries = () => rig.server.chatRequests().filter(isSummary).length;
    const session = () => db.prepare("SELECT summary, summary_through FROM sessions WHERE conversation_id = 'telegram:1' AND status = 'active'").get() as { summary: string | null; summary_through: number };
    let i = 0;
    while (summaries() === 0) await say(`log ${i}: ${'disk alert on node seven at night '.repeat(60)}`, `m${i++}`);
    const compressed = session();
    expect(compressed.summary).toContain('shift logs');

    diskFull = true;
    const before = summaries();
    let rows = 0;
    while (summaries() === before) {
      rows = db.prepare('SELECT COUNT(*) FROM messages').pluck().get() as number;
      await say(`log ${i}: ${'disk alert on node seven at night '.repeat(60)}`, `m${i++}`);
    }
    // The summary could not be saved: the one before stays whole, and the turn went on with a trimmed
    // prompt (its messages still fitted in the database's pages), as it does when the summarizer is down.
    expect(session()).toEqual(compressed);
    expect(telegram.texts().at(-1)).toBe('Done.');
    expect(db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(rows + 2);

    // A turn that needs new pages is refused as a full disk, and none of it is kept.
    await say(`log ${i}: ${'disk alert on node seven at night '.repeat(60)}`, `m${i++}`);
    expect(telegram.texts().at(-1)).toContain('disk is full');
    expect(db.prepare('SELECT COUNT(*) FROM messages').pluck().get()).toBe(rows + 2);

    // Space is freed: the same log goes through, and the conversation is compressed past it.
    db.pragma('max_page_count = 1073741823');
    diskFull = false;
    await say(`log ${i - 1}: ${'disk alert on node seven at night '.repeat(60)}`, `again${i}`);
    expect(telegram.texts().at(-1)).toBe('Done.');
    expect(session().summary_through).toBeGreaterThan(compressed.summary_through);
    const kept = db.prepare("SELECT COUNT(*) FROM messages WHERE role = 'user' AND content LIKE ?").pluck().get(`log ${i - 1}: %`);
    expect(kept).toBe(1);
  });

  it('kept files going past their days leave room inside the database, which `cairn vacuum` gives back with Cairn stopped', async () => {
    const dataDir = tempDir();
    const day = Date.UTC(2026, 2, 2, 9);
    let prod = startOnFolder(rig, dataDir, day);
    rig.server.setDefault(() => ({ text: 'Read it.' }));
    for (let i = 0; i < 3; i++) {
      const bytes = Buffer.from(Array.from({ length: 30_000 }, (_, n) => `${i}-${n}: cpu ${n % 97}% disk ${n % 89}%`).join('\n'));
      const file: InboundFile = { label: `a file (metrics-${i}.txt)`, fileName: `metrics-${i}.txt`, contentType: 'text/plain', size: bytes.length, load: async () => bytes };
      await prod.cairn.gateway.receive({ ...prod.dm('look at these numbers', `f${i}`), attachments: [file.label], files: [file] });
    }
    expect(prod.cairn.db.prepare('SELECT COUNT(*) FROM attachments').pluck().get()).toBe(3);
    await prod.cairn.close();
    // Eight days on (CAIRN_KEEP_FILES_DAYS is 7), the start drops them: the file keeps its size.
    prod = startOnFolder(rig, dataDir, day + 8 * 86_400_000);
    expect(prod.cairn.db.prepare('SELECT COUNT(*) FROM attachments').pluck().get()).toBe(0);
    const doctor = (await cli(dataDir, 'doctor')).find((l) => l.startsWith('✓ data folder: ')) ?? '';
    expect(doctor).toMatch(/\d+(\.\d)? MB of it unused, which `cairn vacuum` with Cairn stopped gives back to the disk/);

    // Not while Cairn runs on it (here as a lease a `cairn start` holds), which would wait on the rewrite and fail.
    const lease = InstanceLease.acquire({ db: prod.cairn.db, clock: new ManualClock(Date.now()), timers: new ManualTimers(), logger: silentLogger, name: 'start', onLost: () => {}, host: hostname() });
    await expect(cli(dataDir, 'vacuum')).rejects.toThrow(/^`cairn start` runs on .*: stop it first\./);
    lease.release();
    await prod.cairn.close();
    const before = statSync(databasePath(dataDir)).size;
    const said = await cli(dataDir, 'vacuum');
    expect(said[0]).toMatch(new RegExp(`^Vacuumed ${databasePath(dataDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+(\\.\\d)? MB before, \\d+ kB now\\.$`));
    expect(statSync(databasePath(dataDir)).size).toBeLessThan(before / 2);
    // And Cairn goes on where it was.
    prod = startOnFolder(rig, dataDir, day + 8 * 86_400_000);
    await prod.cairn.gateway.receive(prod.dm('still there?', 'after-vacuum'));
    expect(prod.telegram.texts()).toEqual(['Read it.']);
  });
});
