/**
 * Crash mid-turn: Cairn runs on a small box whose power is cut (or the OOM killer SIGKILLs it) while Ada waits for
 * an answer in her private chat on Telegram and while a scheduled one-off of hers runs in her team's group. systemd
 * starts it again seconds later. Ada's message was in the history and nothing said a turn was under way: after the
 * restart she was never told her answer was lost, and the one-off, marked as run before its run, was gone silently.
 * Now each turn under way is a row in the database, deleted when it ends; a start tells the conversations whose
 * rows a dead process left. The kill is real (a child process SIGKILLs itself while both turns are with the model);
 * the restarted Cairn is the real `startCairn` with the real Telegram adapter against the fake Bot API.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram-api.js';
import { startTestCairn, tempDir, testConfig } from '../helpers/cairn.js';
import { eventually } from '../helpers/held-model.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { ManualClock } from '../../src/core/clock.js';
import { CairnError } from '../../src/core/errors.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { CUT_OFF, KEEP_UNSENT_MS, TurnsInProgress } from '../../src/core/turns-in-progress.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import type { CompletionRequest, CompletionResult, ModelClient } from '../../src/model/types.js';

const BOT_TOKEN = '123456:CRASH-turns-token';
const usage = { promptTokens: 1, completionTokens: 1, cachedTokens: 0 };

/** Answers "ok"; "fail" fails as an unreachable provider; "hold" waits until the turn is aborted (/stop, a shutdown). */
class ScriptedModel implements ModelClient {
  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const last = request.messages.at(-1);
    const text = last && 'content' in last ? String(last.content) : '';
    if (text.includes('hold')) {
      await new Promise<never>((_resolve, reject) => request.signal?.addEventListener('abort', () => reject(request.signal?.reason as Error), { once: true }));
    }
    if (text.includes('fail')) throw new CairnError('unavailable', 'The model provider is unreachable.');
    return { text: 'ok', toolCalls: [], finishReason: 'stop', usage, model: 'm', provider: 'test' };
  }
}

const rows = (db: Db) => db.prepare('SELECT platform, conversation_id, message_id, schedule_id FROM turns_in_progress ORDER BY id').all();

let running: RunningCairn | undefined;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  await running?.stop().catch(() => undefined);
  running = undefined;
  for (const close of closers.splice(0)) await close();
});

describe('Cairn killed while it answers', () => {
  it('after a kill -9 mid-turn, the next start tells Ada in reply to her message, and the group that its one-off was cut off and is not run again', async () => {
    const dataDir = tempDir('cairn-crash-');
    const killed = spawnSync(process.execPath, ['--import', 'tsx', join('test', 'integration', 'fixtures', 'killed-mid-turn-worker.ts'), dataDir, BOT_TOKEN], { encoding: 'utf8' });
    expect({ signal: killed.signal, stderr: killed.stderr, stdout: killed.stdout }).toEqual({ signal: 'SIGKILL', stderr: '', stdout: 'task #1\nboth turns are with the model\n' });

    const telegram: FakeTelegram = await startFakeTelegram(BOT_TOKEN);
    closers.push(() => telegram.close());
    const config = testConfig('http://127.0.0.1:9/v1', { CAIRN_HTTP_PORT: '0', TELEGRAM_BOT_TOKEN: BOT_TOKEN, TELEGRAM_API_ROOT: telegram.apiRoot, TELEGRAM_ALLOWED_USERS: '42' }, dataDir);
    running = await startCairn(config, { logger: silentLogger, host: '127.0.0.1', model: new ScriptedModel() });

    const sent = await telegram.waitForSent(2);
    expect(sent.map((body) => ({ chat_id: String(body.chat_id), text: body.text }))).toEqual(
      expect.arrayContaining([
        { chat_id: '42', text: 'I stopped unexpectedly (a crash or a power cut) while answering this, and the answer was lost. Please send it again.' },
        { chat_id: '-100555', text: 'Scheduled task #1 was cut off when I stopped unexpectedly (a crash or a power cut), and its answer was lost; it is not run again: set it again if you still need it.' },
      ]),
    );
    // Said once: the rows are gone, and the one-off stays done (a crash never runs it twice).
    expect(rows(running.cairn.db)).toEqual([]);
    expect(running.cairn.schedules.store.get(1)?.status).toBe('done');
  });

  it('a turn answered, failed, stopped or cut off by a graceful shutdown leaves no row', async () => {
    const cairn = startTestCairn(testConfig('http://127.0.0.1:9/v1', { CAIRN_SHUTDOWN_GRACE_MS: '0' }), { model: new ScriptedModel() });
    closers.push(() => cairn.close());
    expect(await cairn.gateway.receive(cairn.adapter.message('hello'))).toBe('turn');
    expect(await cairn.gateway.receive(cairn.adapter.message('please fail'))).toBe('failed');
    expect(rows(cairn.db)).toEqual([]);

    const held = cairn.gateway.receive(cairn.adapter.message('hold on'));
    await eventually(() => rows(cairn.db).length === 1, 'the held turn recorded as under way');
    expect(rows(cairn.db)).toEqual([{ platform: 'test', conversation_id: 'test:dm:alice', message_id: 'm3', schedule_id: null }]);
    await cairn.gateway.receive(cairn.adapter.message('/stop', { command: { name: 'stop', args: '' } }));
    expect(await held).toBe('stopped');
    expect(rows(cairn.db)).toEqual([]);

    const cut = cairn.gateway.receive(cairn.adapter.message('hold again'));
    await eventually(() => rows(cairn.db).length === 1, 'the second held turn recorded');
    await cairn.gateway.drain(0, async () => undefined);
    expect(await cut).toBe('failed');
    expect(rows(cairn.db)).toEqual([]);
  });

  it("a row of a platform not configured now waits a day, then is dropped with a log line; a live process's row is left to it", async () => {
    const db = openDatabase(join(tempDir('cairn-crash-rows-'), 'cairn.db'));
    closers.push(() => db.close());
    const clock = new ManualClock(Date.UTC(2026, 11, 3, 9));
    const log: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const live = process.ppid;
    const host = (await import('../../src/store/process-gone.js')).thisHost();
    const leftBy = (pid: number, run: string) => new TurnsInProgress(db, clock, silentLogger, { pid, host, run });
    leftBy(dead, 'dead').begin({ ...new RecordingAdapter('discord').message('deploy?'), conversationId: 'discord:G1:C1' });
    leftBy(live, 'live').begin(new RecordingAdapter().message('still going'));
    const slack = new RecordingAdapter();
    const turns = new TurnsInProgress(db, clock, logger);

    expect(await turns.tellCutOff({ adapters: [slack], repeats: () => false })).toBe(0);
    expect(rows(db)).toHaveLength(2);
    clock.advance(KEEP_UNSENT_MS);
    // A day on, the "live" pid is taken as another process's (a reboot gave it out again): its turn is said cut off.
    expect(await turns.tellCutOff({ adapters: [slack], repeats: () => false })).toBe(1);
    expect(slack.sent).toEqual([{ conversationId: 'test:dm:alice', reply: { text: CUT_OFF, isError: true, replyTo: 'm1' } }]);
    expect(log.map((line) => line.msg)).toContain('a turn cut off by a crash was never said: its platform has not been configured for a day; dropped');
    expect(rows(db)).toEqual([]);
  });
});
