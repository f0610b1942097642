/**
 * Another process on the same database (`cairn chat` beside `cairn start`, `cairn memory import`)
 * writing at the moment a turn appends its messages: the append waits for it, as the busy timeout
 * promises, instead of failing the turn at once; and an idle sweep that meets a database locked past
 * the timeout does not throw out of the start's timer (which ended the process).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { ManualClock } from '../../src/core/clock.js';
import { SessionManager } from '../../src/memory/session-manager.js';
import { SessionStore } from '../../src/memory/sessions.js';
import { databasePath, openDatabase, type Db } from '../../src/store/db.js';
import type { InboundMessage } from '../../src/core/message.js';
import { tempDir } from '../helpers/cairn.js';

const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');
const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

/** Another process that takes the write lock, says so, and commits `holdMs` later on its own. */
function otherWriter(path: string, holdMs: number): Promise<{ exited: Promise<number | null> }> {
  const script = `
    const Database = require(${JSON.stringify(betterSqlite)});
    const db = new Database(${JSON.stringify(path)});
    db.exec('BEGIN IMMEDIATE');
    db.exec("INSERT INTO inbound_seen (platform, message_id, seen_at) VALUES ('slack', 'other-process', 1)");
    process.stdout.write('holding\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${holdMs});
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => data.toString().includes('holding') && resolve({ exited }));
    child.on('error', reject);
  });
}

function inbound(conversationId: string): InboundMessage {
  return { platform: 'slack', conversationId, userId: 'slack:T1:U1', senderId: 'U1', userName: 'ada', text: 'hi', isDirect: true, isSelf: false, messageId: 'm1', receivedAt: new Date(0) };
}

describe('a database another process is writing', () => {
  it("appends a turn's messages once the other process's write is done, instead of failing the turn", async () => {
    const path = databasePath(tempDir());
    const db = openDatabase(path);
    open.push(db);
    const store = new SessionStore(db);
    const session = store.start({ conversationId: 'slack:T1:D1', platform: 'slack', userId: 'slack:T1:U1', prefix: 'p', model: undefined }, 1);
    store.append(session.id, [{ message: { role: 'user', content: 'first' } }], 1);

    const other = await otherWriter(path, 300);
    expect(() => store.append(session.id, [{ message: { role: 'assistant', content: 'answer' } }], 2)).not.toThrow();
    expect(await other.exited).toBe(0);
    expect(store.allMessages(session.id).map((m) => m.message.content)).toEqual(['first', 'answer']);
  });

  it('leaves a session the idle sweep could not end for the next sweep, rather than throwing from its timer', () => {
    const path = databasePath(tempDir());
    const db = openDatabase(path);
    open.push(db);
    // A lock held past the busy timeout (a big `cairn memory import`), without waiting 5 s here.
    db.pragma('busy_timeout = 0');
    const clock = new ManualClock();
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => lines.push(line) } });
    const sessions = new SessionManager({ store: new SessionStore(db), clock, logger, idleMs: 60_000, identity: { name: 'Cairn', instructions: undefined } });
    const session = sessions.resolve(inbound('slack:T1:D1'));
    clock.advance(120_000);

    const blocker = openDatabase(path);
    open.push(blocker);
    blocker.exec('BEGIN IMMEDIATE');
    expect(() => sessions.sweepIdle()).not.toThrow();
    expect(sessions.store.get(session.id)?.status).toBe('active');
    expect(lines.join('')).toMatch(/idle sweep/);
    blocker.exec('ROLLBACK');

    expect(sessions.sweepIdle().map((s) => s.id)).toEqual([session.id]);
  });
});
