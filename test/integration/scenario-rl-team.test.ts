/**
 * A team that optimises its agent with data, over three days on one data folder. People chat on
 * Telegram with tasks recorded, judge answers with /feedback, and one of them tells Cairn a secret
 * and later says `/forget all`; reflection makes a skill and refines it. The operator exports the
 * live chat tasks (refused until config allows it), runs the tasks file in two shards that use the
 * skill (one torn by a crash and resumed), and exports runs and chat together with --min-reward and
 * --val-split. Where the pieces meet: the skill version the run records is the one Cairn knows, the
 * forgotten conversation and the typed secret never reach a file, and feedback is the live reward.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatBody, FakeReply, RecordedRequest } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { writeTasks } from '../rl/helpers.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage } from '../../src/core/message.js';
import { exportRecords } from '../../src/rl/export/index.js';
import { recordsFromLiveTasks } from '../../src/rl/export/live-tasks.js';
import { recordsFromRuns } from '../../src/rl/export/source.js';
import { runBatch } from '../../src/rl/batch.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { inShard } from '../../src/rl/shard.js';

const rig = useFakeModelRig();
const NO_CHANGE = { outcome: 'success', efficient: true, worked: ['it worked'], failed: [], assumptions: [], doDifferently: [], skill: { action: 'none' } };
const DAY = 86_400_000;
const TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const busy = (answer: string, first: FakeReply): FakeReply[] => [first, { toolCalls: [{ name: 'current_time', arguments: {} }] }, { toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: answer }];

describe('a team optimising its agent with data', () => {
  it('records, learns, exports and batches without the pieces disagreeing', async () => {
    const reflections: unknown[] = [];
    const chat: FakeReply[] = [];
    rig.server.setDefault((request: RecordedRequest) => {
      const body = request.body as ChatBody;
      const system = String(body.messages?.[0]?.content ?? '');
      if (system.startsWith('You review a task')) return { text: JSON.stringify(reflections.shift() ?? NO_CHANGE) };
      if (system.startsWith('You maintain long-term memory')) return { text: JSON.stringify({ notes: [] }) };
      if (!system.includes('direct conversation on telegram')) {
        // A batch task: view the skill, then answer.
        const last = body.messages?.at(-1) as { role: string } | undefined;
        return last?.role === 'user' ? { toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron' } }] } : { text: 'Deployed heron.' };
      }
      return chat.shift() ?? { text: 'done' };
    });
    const dataDir = tempDir();
    const env = { TELEGRAM_ALLOWED_USERS: '100,200', TELEGRAM_ADMIN_USERS: '100' };
    const day1 = Date.UTC(2026, 10, 24, 9);
    const clock = new ManualClock(day1);
    const cairn = rig.startWith(testConfig(rig.server.url, env, dataDir), { clock });
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    let sent = 0;
    const from = (who: string, text: string, extra: Partial<InboundMessage> = {}) =>
      telegram.message(text, { senderId: who, userId: `telegram:${who}`, userName: who, conversationId: `telegram:dm:${who}`, messageId: `t${++sent}`, ...extra });
    const say = async (who: string, text: string, replies: FakeReply[], reflection?: unknown) => {
      chat.push(...replies);
      if (reflection) reflections.push(reflection);
      await cairn.gateway.receive(from(who, text));
      await cairn.learning.idle();
    };
    const command = (who: string, name: string, args: string) => cairn.gateway.receive(from(who, `/${name} ${args}`, { command: { name, args } }));

    // Day 1: Bob deploys; reflection makes a skill of it; he says it worked. Alice saves a locker code.
    await say('200', 'deploy heron to staging', busy('Deployed heron.', { toolCalls: [{ name: 'current_time', arguments: {} }] }), {
      ...NO_CHANGE,
      skill: { action: 'create', name: 'deploying-heron', description: 'How to deploy heron to staging. Use when asked to deploy heron.', body: '## Steps\n1. Run deploy.sh.\n', reason: 'it worked' },
    });
    await command('200', 'feedback', 'good');
    await say('100', 'remember my locker code is 4417', busy('Saved.', { toolCalls: [{ name: 'memory_save', arguments: { text: 'The locker code is 4417.' } }] }));

    // Day 2: Bob uses the skill with a token he pasted; reflection refines it; the answer was wrong. Alice forgets everything.
    clock.set(day1 + DAY);
    await say('200', `deploy heron again, the token is ${TOKEN}`, busy('Deployed again.', { toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron' } }] }), {
      ...NO_CHANGE,
      skill: { action: 'patch', name: 'deploying-heron', find: 'Run deploy.sh.', replace: 'Run deploy.sh --staging.', reason: 'needs the flag' },
    });
    await command('200', 'feedback', 'bad it went to production');
    await command('100', 'forget', 'all');
    expect(cairn.skills.versions.history('deploying-heron').map((version) => version.action)).toEqual(['create', 'patch']);
    const [wrong, forgotten, good] = cairn.learning.tasks.recent(3);
    expect([wrong?.feedback, wrong?.skillsUsed, forgotten?.userId, good?.feedback]).toEqual(['bad', [{ name: 'deploying-heron', version: 1 }], 'telegram:100', 'good']);

    // Day 3: the operator. Live export is refused until config allows it.
    clock.set(day1 + 2 * DAY);
    const tools = cairn.tools.definitions({ isAdmin: true });
    const work = tempDir('cairn-rl-team-');
    await expect(exportRecords([recordsFromLiveTasks(cairn.db, { allowed: cairn.config.rl.exportLiveTasks, tools })], { format: 'openai', out: join(work, 'refused.jsonl') })).rejects.toThrow(/CAIRN_EXPORT_LIVE_TASKS=true/);

    // The tasks file in two shards, with the configured skills; shard 0 torn by a crash and resumed.
    const config = testConfig(rig.server.url, { ...env, CAIRN_EXPORT_LIVE_TASKS: 'true' }, dataDir);
    const tasksFile = writeTasks(Array.from({ length: 6 }, (_, i) => ({ id: `deploy-${i}`, prompt: `deploy heron build ${i}`, expected: 'Deployed' })), work);
    const run = (index: number, resume = false) =>
      runBatch({ tasksFile, outDir: join(work, `shard-${index}`), concurrency: 2, timeoutMs: 60_000, resume, shard: { index, count: 2 } }, { config, overrides: { logger: silentLogger, sleep: async () => {} }, progress: { write: () => true } as never, notice: () => {} });
    const first = await run(0);
    const inZero = first.summary.tasks.total;
    appendFileSync(join(work, 'shard-0', 'trajectories.jsonl'), '{"format":"cairn.trajectory/1","taskId":"deploy-');
    const resumed = await run(0, true);
    expect([resumed.ran, resumed.skipped, resumed.droppedBytes > 0]).toEqual([0, inZero, true]);
    expect([resumed.summary.tasks.finished, resumed.summary.tasks.ok]).toEqual([inZero, inZero]);
    await run(1);
    const ran = [...(await readAllTrajectories(join(work, 'shard-0', 'trajectories.jsonl'))), ...(await readAllTrajectories(join(work, 'shard-1', 'trajectories.jsonl')))];
    expect(ran.map((t) => t.taskId).sort()).toEqual(Array.from({ length: 6 }, (_, i) => `deploy-${i}`));
    // The version the run records is the one Cairn knows (the refined one), not a fresh import.
    expect(new Set(ran.map((t) => JSON.stringify(t.skills)))).toEqual(new Set([JSON.stringify([{ name: 'deploying-heron', version: 2 }])]));
    expect(resumed.summary.skills['deploying-heron']).toMatchObject({ uses: inZero, versions: { 2: inZero }, meanReward: 1 });
    expect(inShard(ran.map((t) => t.task), { index: 0, count: 2 }).length).toBe(inZero);

    // Runs and live tasks together: feedback is the live reward, the forgotten conversation and the token never reach a file.
    const out = join(work, 'train.jsonl');
    const stats = await exportRecords([recordsFromRuns([join(work, 'shard-0'), join(work, 'shard-1')]), recordsFromLiveTasks(cairn.db, { allowed: true, tools })], {
      format: 'openai',
      out,
      minReward: 1,
      valSplit: 0.3,
      secrets: config.secrets,
    });
    expect([stats.forgotten, stats.skipped.belowMinReward]).toEqual([1, 1]);
    const written = readFileSync(out, 'utf8') + readFileSync(join(work, 'train.val.jsonl'), 'utf8');
    expect(written).toContain('deploy heron to staging');
    expect(written).not.toContain('4417');
    expect(written).not.toContain(TOKEN);
    expect(stats.train + stats.validation).toBe(7);
  });
});
