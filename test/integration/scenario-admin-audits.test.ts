/**
 * An admin's six months of audits. Cairn runs for a team of about forty on Slack, reports go to the
 * admin channel `slack:T1:CADMIN`, reflection proposes skill changes for a person to review. Months
 * of tasks pile up (a `deploy` skill did badly in June, was patched, and has done well since), the
 * admin goes on holiday for a week while proposals keep coming (some for a skill a colleague edited
 * meanwhile), comes back and pages through `/proposals`, Cairn is restarted after the night's
 * audit, and `cairn audit list` is read once hundreds of audits are behind it. Real SQLite, a fake
 * model server on loopback, the cron fired by hand, the clock moved by hand.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { runCairnOn } from '../helpers/cli-in-process.js';
import { parseCommand } from '../../src/core/commands.js';
import type { CronPort } from '../../src/learning/scheduler.js';
import { newTask } from '../learning/helpers.js';

const ADMIN_CHANNEL = 'slack:T1:CADMIN';
const DAY = 86_400_000;
const PEOPLE = 40;

let model: FakeModelServer;
let dataDir: string;
let cairn: TestCairn;
let slack: RecordingAdapter;
let fireCron: (() => void) | undefined;
const open: TestCairn[] = [];

/** The nightly cron, fired by the test; the missed-run check reads it as daily. */
const cronPort: CronPort = (_expression, _zone, run) => {
  fireCron = run;
  return { stop: () => undefined, nextRunAfter: (at) => Math.floor(at / DAY) * DAY + DAY + 3 * 3_600_000 };
};

function startCairn(): TestCairn {
  const started = startTestCairn(testConfig(model.url, { CAIRN_ADMIN_CHANNEL: ADMIN_CHANNEL, SLACK_ADMIN_USERS: 'UADA', CAIRN_REFLECTION: 'propose' }, dataDir), { cronPort });
  open.push(started);
  slack = new RecordingAdapter('slack');
  started.gateway.attach(slack);
  return started;
}

/** The admin types in the admin channel; what Cairn answered. */
async function inAdminChannel(text: string): Promise<string> {
  const before = slack.sent.length;
  await cairn.gateway.receive(slack.message(text, { conversationId: ADMIN_CHANNEL, userId: 'slack:T1:UADA', senderId: 'UADA', userName: 'Ada', isDirect: false, command: parseCommand(text) }));
  return slack.sent.slice(before).map((s) => s.reply.text).join('\n');
}

const adminPosts = () => slack.sent.filter((s) => s.conversationId === ADMIN_CHANNEL && s.reply.text.startsWith('# Cairn audit'));

/** Six months of work: 3,000 tasks, `deploy` v1 failing in June, v2 (the patch) doing well since, `backup` middling. */
function sixMonthsOfTasks(now: number): void {
  // Last night's audit, at 03:00 (now is 09:00): none was missed.
  cairn.db.prepare("INSERT INTO audits (trigger, status, started_at, finished_at) VALUES ('cron', 'done', ?, ?)").run(now - 6 * 3_600_000, now - 6 * 3_600_000);
  const skills = cairn.skills!;
  const v1 = skills.writer.create({ name: 'deploy', description: 'Deploys a service. Use when deploying.', body: '## Steps\n1. Push the image.\n2. Roll out.\n' }, { author: 'agent' }).version;
  const v2 = skills.writer.patch({ name: 'deploy', find: '2. Roll out.', replace: '2. Roll out and wait for the health check.', target: 'body' }, { author: 'agent' }).version;
  const backup = skills.writer.create({ name: 'backup', description: 'Backs up a database. Use when backing up.', body: '## Steps\n1. Dump.\n2. Copy off the host.\n' }, { author: 'agent' }).version;
  const start = now - 180 * DAY;
  const tasks = cairn.learning.tasks;
  for (let i = 0; i < 3_000; i++) {
    const at = start + Math.floor((i / 3_000) * 179 * DAY);
    const userId = `slack:T1:U${i % PEOPLE}`;
    if (i < 60) tasks.insert(newTask({ userId, platform: 'slack', skillsUsed: [{ name: 'deploy', version: v1 }], outcome: 'failure', errors: ['terminal: tool_error'], createdAt: at }));
    else if (i % 3 === 0) tasks.insert(newTask({ userId, platform: 'slack', skillsUsed: [{ name: 'deploy', version: v2 }], outcome: 'success', createdAt: at }));
    else if (i % 3 === 1) tasks.insert(newTask({ userId, platform: 'slack', skillsUsed: [{ name: 'backup', version: backup }], outcome: i % 2 ? 'success' : 'failure', errors: i % 2 ? [] : ['terminal: timeout'], createdAt: at }));
    else tasks.insert(newTask({ userId, platform: 'slack', createdAt: at }));
  }
}

beforeEach(async () => {
  model = await startFakeModelServer();
  dataDir = tempDir();
  cairn = startCairn();
});

afterEach(async () => {
  for (const started of open.splice(0)) await started.close();
  await model.close();
});

describe("an admin's six months of audits", () => {
  it("the night's audit posts what the admin can act on: the skill versions in use, not one replaced in June", async () => {
    sixMonthsOfTasks(cairn.manualClock.now());
    await cairn.learning.start();
    fireCron?.();
    await cairn.learning.idle();
    const [post] = adminPosts();
    expect(adminPosts()).toHaveLength(1);
    expect(cairn.learning.audits.list()[0]).toMatchObject({ status: 'done', taskCount: 3_000 });
    // `deploy` v1 (0 % of 60 tasks, replaced in June) topped "Lowest success rates" in every post for good.
    expect(post?.reply.text).toContain('Lowest success rates of the skill versions in use (2 skill versions):');
    expect(post?.reply.text).not.toMatch(/`deploy` v1:/);
    expect(post?.reply.text).toMatch(/- `backup` v1: 50% of 980 tasks\n- `deploy` v2: 100% of 980 tasks/);
    // The full report keeps every version.
    expect(cairn.learning.audits.list()[0]?.report).toMatch(/\| deploy \| 1 \| 60 \| 0 \| 60 \| 0 \| 0% \|/);
  });

  it('back from a week away, the admin pages through the proposals that piled up, oldest first, and sees which can no longer be applied', async () => {
    const skills = cairn.skills!;
    skills.writer.create({ name: 'deploy', description: 'Deploys a service. Use when deploying.', body: '## Steps\n1. Push the image.\n2. Roll out.\n' }, { author: 'agent' });
    const proposals = cairn.learning.proposals;
    // Three a day for a week, each against `deploy` as it was then.
    const ids: number[] = [];
    for (let day = 0; day < 7; day++) {
      for (let n = 0; n < 3; n++) {
        const change = { action: 'patch' as const, name: 'deploy', find: '2. Roll out.', replace: `2. Roll out (fix ${day}.${n}).`, reason: `Rollouts time out when the cluster is busy (day ${day}); wait for the health check before reporting success, which the failed tasks of that day show clearly.` };
        ids.push(proposals.add(undefined, change, cairn.manualClock.now()).id);
      }
      // On the third day a colleague edits the skill by hand: what was proposed before no longer fits it.
      if (day === 2) skills.writer.patch({ name: 'deploy', find: '1. Push the image.', replace: '1. Push the image to the registry.', target: 'body' }, { author: 'person' });
      cairn.manualClock.advance(DAY);
    }

    const first = await inAdminChannel('/proposals');
    // It was one reply of 21 lines of up to 200 characters: with more, many messages (Discord's 2,000 each).
    expect(first.split('\n')[0]).toBe('Skill changes waiting for review (1–10 of 21, oldest first):');
    expect(first).toContain(`#${ids[0]} change to deploy (7 days ago): can no longer be applied, the skill "deploy" changed since (it was version 1); reject it.`);
    expect(first).toMatch(/Send \/proposals page 2 for the next 10\.\nSend \/proposals show <id> to read one, then apply or reject it\.$/);
    expect(first.split('\n').filter((line) => line.startsWith('#'))).toHaveLength(10);

    const last = await inAdminChannel('/proposals page 3');
    expect(last.split('\n')[0]).toBe('Skill changes waiting for review (21–21 of 21, oldest first):');
    expect(last).toMatch(new RegExp(`^#${ids[20]} change to deploy \\(yesterday\\): Rollouts time out`, 'm'));
    expect(last).not.toContain('page 4');
    expect(await inAdminChannel('/proposals page 9')).toBe('There are 3 pages of proposals waiting (21). Send /proposals for the first.');

    // One made before the edit, applied anyway: refused, with why (and the admin rejects it).
    expect(await inAdminChannel(`/proposals apply ${ids[0]}`)).toMatch(/could not be applied: the skill "deploy" changed since it was proposed \(version 1 then, version 2 now\)/);
    // One made after the edit applies.
    expect(await inAdminChannel(`/proposals apply ${ids[9]}`)).toBe(`Applied proposal #${ids[9]}: deploy v3.`);
  });

  it('a restart after the night’s audit runs no second one and posts nothing twice', async () => {
    sixMonthsOfTasks(cairn.manualClock.now());
    await cairn.learning.start();
    fireCron?.();
    await cairn.learning.idle();
    expect(adminPosts()).toHaveLength(1);
    await cairn.close();
    open.splice(0);

    // Restarted six hours later, before the next night.
    const clock = cairn.manualClock.now() + 6 * 3_600_000;
    cairn = startCairn();
    cairn.manualClock.set(clock);
    await cairn.learning.start();
    await cairn.learning.idle();
    expect(adminPosts()).toEqual([]);
    expect(cairn.learning.audits.list().map((a) => a.trigger)).toEqual(['cron', 'cron']);
  });

  it('restarted just before 03:00 after a night down: the missed audit runs, and the cron firing meanwhile posts no copy of it', async () => {
    sixMonthsOfTasks(cairn.manualClock.now());
    // The last audit was two days ago: one was missed.
    cairn.db.prepare("UPDATE audits SET started_at = started_at - 2 * ?").run(DAY);
    await cairn.learning.start();
    fireCron?.();
    await cairn.learning.idle();
    expect(cairn.learning.audits.list().map((a) => a.trigger)).toEqual(['missed at start-up', 'cron']);
    expect(adminPosts()).toHaveLength(1);
  });

  it('`cairn audit list` after hundreds of audits says how many there are, and why one failed', async () => {
    sixMonthsOfTasks(cairn.manualClock.now());
    await cairn.learning.audits.run('cron');
    const insert = cairn.db.prepare("INSERT INTO audits (trigger, status, started_at, finished_at, task_count, error) VALUES (?, ?, ?, ?, ?, ?)");
    for (let i = 0; i < 298; i++) insert.run('every 15 tasks', i === 297 ? 'failed' : 'done', cairn.manualClock.now() + i, cairn.manualClock.now() + i, 3_000, i === 297 ? 'SQLITE_FULL: database or disk is full' : null);
    const lines = await runCairnOn(dataDir, model.url, 'audit', 'list');
    expect(lines).toHaveLength(51);
    expect(lines[0]).toMatch(/^#300 {2}\S+ {2}failed: SQLITE_FULL: database or disk is full {2}\(every 15 tasks\)$/);
    expect(lines.at(-1)).toBe('(the newest 50 of 300: `--limit 300` lists them all, `cairn audit show <id>` reads one)');
    const all = await runCairnOn(dataDir, model.url, 'audit', 'list', '--limit', '300');
    expect(all.at(-2)).toMatch(/^#2 {2}\S+ {2}3000 tasks {2}success 82% \(since the previous n\/a\) {2}\(cron\)$/);
  });
});
