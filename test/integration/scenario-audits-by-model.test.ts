/**
 * Did the success rate change with the model? Ada runs Cairn for her team on Slack and reads the periodic
 * audits in the admin channel and with `cairn audit show`. Over two months the team switched the main
 * model: gpt-4.1 for a month, then a local Qwen on vLLM for three weeks (cheaper, but it did worse), then
 * back to gpt-4.1; meanwhile a Slack channel was kept on the Qwen with `/model`. Ada expects the report to
 * say how each model did (over the audit's window and all-time, as its other sections do), the summary to
 * name a model that did clearly worse than the others once enough tasks ran on it (and only then), each
 * task counted under the model that actually ran it (a `/model` switch included), and the skills not to
 * be blamed for what the model did: a patch to a skill written while the team ran the Qwen must not be
 * rolled back because the Qwen did worse than gpt-4.1 had with the version before it.
 * Real SQLite, a fake model server on loopback, the real CLI in process, the clock moved by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { runCairnOn } from '../helpers/cli-in-process.js';
import { parseCommand } from '../../src/core/commands.js';
import { Refiner } from '../../src/learning/refinement.js';
import { silentLogger } from '../../src/core/logger.js';
import type { InboundMessage } from '../../src/core/message.js';
import { newTask } from '../learning/helpers.js';

const ADMIN_CHANNEL = 'slack:T1:CADMIN';
const QWEN_CHANNEL = 'slack:T1:CQWEN';
const QWEN = 'Qwen/Qwen2.5-32B-Instruct';
const DAY = 86_400_000;

let server: FakeModelServer;
let cairn: TestCairn;
let slack: RecordingAdapter;
const dataDir = tempDir('cairn-audits-by-model-');
let counter = 0;

/** A judged task ran by `model` `daysAgo` days ago: `succeeded` or not. */
function pastTask(model: string | undefined, daysAgo: number, succeeded: boolean, extra: Parameters<typeof newTask>[0] = {}): number {
  const at = cairn.manualClock.now() - daysAgo * DAY;
  return cairn.learning.tasks.insert(newTask({ platform: 'slack', userId: `slack:T1:U${counter++ % 12}`, model, outcome: succeeded ? 'success' : 'failure', errors: succeeded ? [] : ['terminal: exit 1'], createdAt: at, ...extra })).id;
}

/** `count` tasks of `model` spread over days `from`..`to` ago, `rate` of them successes. */
function pastTasks(model: string | undefined, count: number, rate: number, from: number, to: number): void {
  for (let i = 0; i < count; i++) pastTask(model, from - ((from - to) * i) / count, i % 100 < rate * 100);
}

const adminPosts = () => slack.sent.filter((s) => s.conversationId === ADMIN_CHANNEL && s.reply.text.startsWith('# Cairn audit'));

/** Someone in `conversationId` asks for something that takes a tool call. */
async function work(conversationId: string, text: string, extra: Partial<InboundMessage> = {}): Promise<void> {
  server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: `done: ${text}` });
  await cairn.gateway.receive(slack.message(text, { messageId: `m${++counter}`, conversationId, senderId: 'U1', userId: 'slack:T1:U1', userName: 'ben', isDirect: false, addressed: true, ...extra }));
  cairn.manualClock.advance(60_000);
  await cairn.learning.idle();
}

async function asAdmin(text: string, conversationId: string): Promise<string> {
  const before = slack.sent.length;
  await cairn.gateway.receive(slack.message(text, { messageId: `m${++counter}`, conversationId, userId: 'slack:T1:UADA', senderId: 'UADA', userName: 'Ada', isDirect: false, command: parseCommand(text) }));
  return slack.sent.slice(before).map((s) => s.reply.text).join('\n');
}

beforeAll(async () => {
  server = await startFakeModelServer();
  server.setModels(['gpt-4.1', QWEN]);
  cairn = startTestCairn(testConfig(server.url, { CAIRN_MODEL: 'gpt-4.1', CAIRN_ADMIN_CHANNEL: ADMIN_CHANNEL, SLACK_ALLOWED_USERS: 'U1', SLACK_ADMIN_USERS: 'UADA', CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0' }, dataDir));
  slack = new RecordingAdapter('slack');
  cairn.gateway.attach(slack);
});

afterAll(async () => {
  await cairn.close();
  await server.close();
});

describe('an admin reads the audits of two months in which the main model changed', () => {
  it('two months of history: a month of gpt-4.1, three weeks of the local Qwen, a week of gpt-4.1 again', () => {
    pastTasks('gpt-4.1', 600, 0.85, 60, 31);
    pastTasks(QWEN, 400, 0.55, 30, 8);
    pastTasks('gpt-4.1', 150, 0.85, 7, 1);
    // Tasks from before a model was recorded for each (a turn cut short before any answer): counted, under no model.
    pastTasks(undefined, 4, 0.5, 59, 58);
    // Last night's audit: today's tasks are the audit's window.
    cairn.db.prepare("INSERT INTO audits (trigger, status, started_at, finished_at) VALUES ('cron', 'done', ?, ?)").run(cairn.manualClock.now() - 6 * 3_600_000, cairn.manualClock.now() - 6 * 3_600_000);
  });

  it('today each task is counted under the model that ran it: the default, or the one a channel was switched to with /model', async () => {
    expect(await asAdmin(`/model ${QWEN}`, QWEN_CHANNEL)).toContain(`this conversation uses ${QWEN}`);
    await work('slack:T1:CGENERAL', 'what time is it in Lisbon?');
    await work(QWEN_CHANNEL, 'what time is it in Tokyo?');
    await work(QWEN_CHANNEL, 'and in Berlin?');
    const today = cairn.learning.tasks.recent(3).map((task) => [task.conversationId, task.model]);
    expect(today).toEqual([
      [QWEN_CHANNEL, QWEN],
      [QWEN_CHANNEL, QWEN],
      ['slack:T1:CGENERAL', 'gpt-4.1'],
    ]);
  });

  it("the report has a 'By model' section: each model's tasks and success rate since the previous audit and overall", async () => {
    const record = await cairn.learning.audits.run('cron');
    await cairn.learning.idle();
    expect(record?.status).toBe('done');
    const shown = (await runCairnOn(dataDir, server.url, 'audit', 'show', String(record?.id))).join('\n');
    expect(shown).toContain('## By model');
    const table = shown.slice(shown.indexOf('## By model'));
    expect(table).toContain('| model | first task | last task | tasks since the previous audit | rate since the previous audit | tasks overall | rate overall |');
    // gpt-4.1: 750 past tasks and today's one; the Qwen: 400 (56%) and today's two; the days each ran.
    expect(table).toContain('| gpt-4.1 | 2026-09-25 | 2026-11-24 | 1 | 100% | 751 | 86% |');
    expect(table).toContain(`| ${QWEN} | 2026-10-25 | 2026-11-24 | 2 | 100% | 402 | 56% |`);
    expect(table).toContain('| (not recorded) | 2026-09-26 | 2026-09-27 | 0 | n/a | 4 | 100% |');
    // Most tasks first.
    expect(table.indexOf('| gpt-4.1 |')).toBeLessThan(table.indexOf(`| ${QWEN} |`));
  });

  it('the summary in the admin channel names the model that did clearly worse, with the others’ rate beside it', () => {
    const [post] = adminPosts();
    expect(adminPosts()).toHaveLength(1);
    expect(post?.reply.text).toContain(`- \`${QWEN}\` did clearly worse than the other models: 56% of 402 tasks, the others 86% of 751 (all time; every model is in the report's By model section).`);
    expect(post?.reply.text).not.toMatch(/`gpt-4\.1` did clearly worse/);
  });

  it('once the team has moved off the Qwen for over a week, the summary stops naming it (the report keeps its line)', async () => {
    expect(await asAdmin('/model default', QWEN_CHANNEL)).toMatch(/gpt-4\.1|default/);
    cairn.manualClock.advance(8 * DAY);
    await work(QWEN_CHANNEL, 'what time is it in Oslo?');
    const record = await cairn.learning.audits.run('cron');
    await cairn.learning.idle();
    expect(cairn.learning.tasks.recent(1)[0]?.model).toBe('gpt-4.1');
    expect(adminPosts().at(-1)?.reply.text).not.toContain('did clearly worse');
    expect(record?.report).toMatch(new RegExp(`\\| ${QWEN.replace(/[./]/g, '\\$&')} \\| 2026-10-25 \\| 2026-11-24 \\| 0 \\| n/a \\| 402 \\| 56% \\|`));
  });

  it('a model few tasks ran on, or one doing about as well as the others, is not named', async () => {
    // The channel goes back to the Qwen for a day: in use again.
    await asAdmin(`/model ${QWEN}`, QWEN_CHANNEL);
    await work(QWEN_CHANNEL, 'what time is it in Seoul?');
    // Two days of trying another model in one channel: 8 tasks, 6 failed. Too few to say.
    for (let i = 0; i < 8; i++) pastTask('mistral-small', 5 - i / 8, i % 4 === 0);
    // And the Qwen's record made as good as gpt-4.1's: nothing to name.
    cairn.db.prepare("UPDATE tasks SET outcome = 'success' WHERE model = ? AND id % 10 < 7").run(QWEN);
    const record = await cairn.learning.audits.run('cron');
    await cairn.learning.idle();
    const post = adminPosts().at(-1)?.reply.text ?? '';
    expect(post).toContain(`# Cairn audit #${record?.id}`);
    expect(post).not.toContain('did clearly worse');
    expect(record?.report).toMatch(/\| mistral-small \| \S+ \| \S+ \| 0 \| n\/a \| 8 \| 25% \|/);
  });

  it('a patch to a skill, written and used while the team ran the Qwen, is not rolled back for what the Qwen did worse than gpt-4.1', () => {
    const skills = cairn.skills!;
    const refiner = new Refiner(cairn.db, skills, 5, cairn.manualClock, silentLogger);
    const tasks = cairn.learning.tasks;
    const judged = (id: number) => refiner.afterOutcome(tasks.get(id)!);
    const v1 = skills.writer.create({ name: 'deploy', description: 'Deploys a service. Use when deploying.', body: '## Steps\n1. Push the image.\n2. Roll out.\n' }, { author: 'agent' }).version;
    // A month on gpt-4.1: 19 of 20 deploys went well. Then a week on the Qwen: 2 of 4.
    for (let i = 0; i < 20; i++) expect(judged(pastTask('gpt-4.1', 40 - i, i !== 7, { skillsUsed: [{ name: 'deploy', version: v1 }] }))).toEqual([]);
    for (let i = 0; i < 4; i++) expect(judged(pastTask(QWEN, 20 - i, i % 2 === 0, { skillsUsed: [{ name: 'deploy', version: v1 }] }))).toEqual([]);
    // Reflection patched it on the Qwen (wait for the health check); its first five uses, on the Qwen, went 3 of 5.
    const v2 = skills.writer.patch({ name: 'deploy', find: '2. Roll out.', replace: '2. Roll out and wait for the health check.', target: 'body' }, { author: 'agent' }).version;
    const made = [0, 1, 2, 3, 4].flatMap((i) => judged(pastTask(QWEN, 15 - i, i < 3, { skillsUsed: [{ name: 'deploy', version: v2 }] })));
    // 60% against v1's 88% of 24 (nearly all on gpt-4.1) rolled it back; on the same model v1 did 50%.
    expect(made).toEqual([]);
    expect(skills.versions.latest('deploy')).toMatchObject({ version: v2, action: 'patch' });
  });

  it('a patch that did worse than the version before it on the same model is still rolled back, and the reason names the model', () => {
    const skills = cairn.skills!;
    const refiner = new Refiner(cairn.db, skills, 5, cairn.manualClock, silentLogger);
    const tasks = cairn.learning.tasks;
    const judged = (id: number) => refiner.afterOutcome(tasks.get(id)!);
    const v1 = skills.writer.create({ name: 'backup', description: 'Backs up a database. Use when backing up.', body: '## Steps\n1. Dump.\n2. Copy off the host.\n' }, { author: 'agent' }).version;
    for (let i = 0; i < 10; i++) judged(pastTask('gpt-4.1', 40 - i, true, { skillsUsed: [{ name: 'backup', version: v1 }] }));
    for (let i = 0; i < 6; i++) judged(pastTask(QWEN, 20 - i, i < 4, { skillsUsed: [{ name: 'backup', version: v1 }] }));
    const v2 = skills.writer.patch({ name: 'backup', find: '2. Copy off the host.', replace: '2. Keep it on the host.', target: 'body' }, { author: 'agent' }).version;
    const made = [0, 1, 2, 3, 4].flatMap((i) => judged(pastTask(QWEN, 10 - i, i === 0, { skillsUsed: [{ name: 'backup', version: v2 }] })));
    expect(made).toHaveLength(1);
    expect(made[0]?.reason).toBe(`version ${v2} succeeded in 20% of its first 5 judged uses, version ${v1} in 67% of 6 on the same model (${QWEN})`);
  });
});
