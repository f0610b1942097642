/**
 * One procedural skill's life over weeks, on a fake clock: reflection makes it (auto), a person adds a
 * script and a reference, turns use it, a 👎 refines it, proposals are approved and rejected, a person
 * edits it by hand during a turn, breaks and fixes its frontmatter, the CLI rolls it back beside the
 * running bot, a second process (`cairn chat`) writes a skill too, and the idle audit archives it.
 * At each step the history, the files and what the model is shown agree.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatBody, FakeReply, RecordedRequest } from '../fakes/model-server.js';
import { tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { runCairnInProcess } from '../helpers/cli-in-process.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualClock } from '../../src/core/clock.js';
import type { CronPort } from '../../src/learning/scheduler.js';
import type { InboundMessage } from '../../src/core/message.js';

const rig = useFakeModelRig();
const DAY = 86_400_000;
const NO_CHANGE = { outcome: 'success', efficient: true, worked: ['it worked'], failed: [], assumptions: [], doDifferently: [], skill: { action: 'none' } };
const VARIABLES = ['CAIRN_DATA_DIR', 'CAIRN_BASE_URL', 'CAIRN_MODEL', 'CAIRN_API_KEY'] as const;
let saved: Partial<Record<(typeof VARIABLES)[number], string>>;
beforeEach(() => {
  saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  // The CLI runs on the system clock: faked (Date only) so its versions fall on the scenario's days.
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe("a skill's life over weeks", () => {
  it('keeps versions, files, history authors and the catalog in agreement', async () => {
    const reflections: unknown[] = [];
    const chat: FakeReply[] = [];
    const steps: (() => void)[] = [];
    rig.server.setDefault((request: RecordedRequest) => {
      const body = request.body as ChatBody;
      const system = String(body.messages?.[0]?.content ?? '');
      if (system.startsWith('You review a task')) return { text: JSON.stringify(reflections.shift() ?? NO_CHANGE) };
      if (system.startsWith('You maintain long-term memory')) return { text: JSON.stringify({ notes: [] }) };
      steps.shift()?.();
      return chat.shift() ?? { text: 'done' };
    });
    const dataDir = tempDir();
    const skillFile = join(dataDir, 'skills', 'deploying-heron', 'SKILL.md');
    const cronPort: CronPort = () => ({ stop: () => {}, nextRunAfter: (at) => at + DAY });
    let clock = new ManualClock(0);
    const start = (at: number, reflection: string): { cairn: TestCairn; telegram: RecordingAdapter } => {
      const config = testConfig(rig.server.url, { TELEGRAM_ALLOWED_USERS: '100', TELEGRAM_ADMIN_USERS: '100', CAIRN_REFLECTION: reflection }, dataDir);
      clock = new ManualClock(at);
      const cairn = rig.startWith(config, { clock, cronPort });
      const telegram = new RecordingAdapter('telegram');
      cairn.gateway.attach(telegram);
      return { cairn, telegram };
    };
    let sent = 0;
    const say = async (cairn: TestCairn, telegram: RecordingAdapter, text: string, extra: Partial<InboundMessage> = {}) => {
      await cairn.gateway.receive(telegram.message(text, { senderId: '100', userId: 'telegram:100', conversationId: 'telegram:dm:100', messageId: `t${++sent}`, ...extra }));
      await cairn.learning.idle();
      return telegram.texts().at(-1);
    };
    const command = (cairn: TestCairn, telegram: RecordingAdapter, name: string, args = '') => say(cairn, telegram, `/${name} ${args}`.trim(), { command: { name, args } });
    const cli = (...args: string[]) => {
      vi.setSystemTime(clock.now());
      Object.assign(process.env, { CAIRN_DATA_DIR: dataDir, CAIRN_BASE_URL: rig.server.url, CAIRN_MODEL: 'test-model', CAIRN_API_KEY: 'sk-test-secret-key' });
      return runCairnInProcess(...args);
    };
    const history = (cairn: TestCairn) => cairn.skills.versions.history('deploying-heron').map((v) => `v${v.version} ${v.action} ${v.author}`);
    const turns = () => rig.server.chatRequests().filter((body) => !/^You (review|maintain)/.test(String(body.messages?.[0]?.content ?? '')));
    const toolResults = () => ((turns().at(-1)?.messages ?? []) as { role: string; content: unknown }[]).filter((m) => m.role === 'tool').map((m) => String(m.content));

    // Day 1, auto: a deploy of three tool calls; reflection makes a skill of it.
    const day1 = Date.UTC(2026, 2, 2, 9);
    let { cairn, telegram } = start(day1, 'auto');
    chat.push(
      { toolCalls: [{ name: 'terminal', arguments: { command: 'echo build' } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: 'echo push' } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: 'echo verify' } }] },
      { text: 'Deployed heron.' },
    );
    reflections.push({ ...NO_CHANGE, skill: { action: 'create', name: 'deploying-heron', description: 'How to deploy heron to staging. Use when asked to deploy heron.', body: '## Steps\n1. Build.\n2. Push.\n3. Verify.\n', reason: 'it worked' } });
    await say(cairn, telegram, 'deploy heron');
    expect(history(cairn)).toEqual(['v1 create agent']);
    // A person adds a script and a reference file.
    mkdirSync(join(dataDir, 'skills', 'deploying-heron', 'scripts'));
    mkdirSync(join(dataDir, 'skills', 'deploying-heron', 'references'));
    writeFileSync(join(dataDir, 'skills', 'deploying-heron', 'scripts', 'push.sh'), 'echo pushing\n');
    writeFileSync(join(dataDir, 'skills', 'deploying-heron', 'references', 'hosts.md'), '# Hosts\nstaging-1\n');
    await command(cairn, telegram, 'new');

    // Day 2: the skill is used, its files read; the answer was wrong (👎): reflection patches it.
    await cairn.close();
    ({ cairn, telegram } = start(day1 + DAY, 'auto'));
    chat.push(
      { toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron' } }] },
      { toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron', file: 'references/hosts.md' } }] },
      { text: 'Deployed heron again.' },
    );
    await say(cairn, telegram, 'deploy heron again');
    expect(toolResults().join('\n')).toContain('Files in this skill (read one with skill_view and "file"): references/hosts.md, scripts/push.sh');
    reflections.push({ ...NO_CHANGE, outcome: 'failure', skill: { action: 'patch', name: 'deploying-heron', find: '3. Verify.', replace: '3. Verify on staging-1.', reason: 'verify missed the host' } });
    await command(cairn, telegram, 'feedback', 'bad it did not verify');
    expect(history(cairn)).toEqual(['v1 create agent', 'v2 patch agent']);
    expect(readFileSync(skillFile, 'utf8')).toContain('3. Verify on staging-1.');
    await cairn.close();

    // Day 3, propose: one change an admin applies, one rejected.
    ({ cairn, telegram } = start(day1 + 2 * DAY, 'propose'));
    for (const [i, change] of [
      ['a', { find: '1. Build.', replace: '1. Build with make.' }],
      ['b', { find: '2. Push.', replace: '2. Push to prod.' }],
    ] as const) {
      chat.push({ toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron' } }] }, { toolCalls: [{ name: 'terminal', arguments: { command: 'echo x' } }] }, { toolCalls: [{ name: 'terminal', arguments: { command: 'echo y' } }] }, { text: `ok ${i}` });
      reflections.push({ ...NO_CHANGE, skill: { action: 'patch', name: 'deploying-heron', ...change, reason: `change ${i}` } });
      await say(cairn, telegram, `deploy heron ${i}`);
    }
    const [first, second] = cairn.learning.proposals.pending();
    expect(await command(cairn, telegram, 'proposals', `apply ${first?.id}`)).toMatch(/^Applied proposal/);
    expect(await command(cairn, telegram, 'proposals', `reject ${second?.id}`)).toMatch(/^Rejected/);
    expect(history(cairn)).toEqual(['v1 create agent', 'v2 patch agent', 'v3 patch person']);

    // Day 4: a person edits the SKILL.md by hand while a turn is in flight: the turn records both versions it saw.
    clock.set(day1 + 3 * DAY);
    await command(cairn, telegram, 'new');
    chat.push({ toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron' } }] }, { toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron' } }] }, { text: 'ok' });
    steps.push(
      () => {},
      () => writeFileSync(skillFile, readFileSync(skillFile, 'utf8').replace('2. Push.', '2. Push with scripts/push.sh.')),
    );
    await say(cairn, telegram, 'deploy heron once more');
    expect(history(cairn)).toEqual(['v1 create agent', 'v2 patch agent', 'v3 patch person', 'v4 edit person']);
    expect(cairn.learning.tasks.recent(1)[0]?.skillsUsed).toEqual([{ name: 'deploying-heron', version: 3 }, { name: 'deploying-heron', version: 4 }]);

    // The person breaks the frontmatter: the model is told so; fixed, it is one more person's edit.
    const good = readFileSync(skillFile, 'utf8');
    writeFileSync(skillFile, good.replace('description: ', 'description: "'));
    chat.push({ toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron' } }] }, { text: 'broken' });
    await say(cairn, telegram, 'deploy heron broken');
    expect(toolResults().at(-1)).toContain('cannot be loaded');
    writeFileSync(skillFile, good.replace('3. Verify on staging-1.', '3. Verify on staging-1 and staging-2.'));

    // The CLI beside the running bot: history, a rollback to v2; the bot's next view shows v2's text.
    expect((await cli('skills', 'history', 'deploying-heron')).map((line) => line.split(/\s+/).slice(0, 1).concat(line.split(/\s+/).slice(3, 5)).join(' '))).toEqual([
      'v1 create agent', 'v2 patch agent', 'v3 patch person', 'v4 edit person', 'v5 edit person',
    ]);
    expect(await cli('skills', 'rollback', 'deploying-heron', '2')).toEqual(['Rolled deploying-heron back to the text of v2; that is now v6.']);
    await command(cairn, telegram, 'new');
    chat.push({ toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron' } }] }, { text: 'ok' });
    await say(cairn, telegram, 'deploy heron after rollback');
    expect(toolResults().at(-1)).toContain('version 6');
    expect(toolResults().at(-1)).toContain('1. Build.\n2. Push.\n3. Verify on staging-1.');
    expect(readFileSync(skillFile, 'utf8')).toBe(cairn.skills.versions.latest('deploying-heron')?.text);

    // `cairn chat` on the same data folder writes a skill with a script while the bot runs; a name differing only in case is refused.
    const chatConfig = testConfig(rig.server.url, { CAIRN_REFLECTION: 'auto' }, dataDir);
    const chatProcess = rig.startWith(chatConfig, { clock });
    const create = (name: string) => chatProcess.tools.execute({ id: `c-${name}`, name: 'skill_create', arguments: JSON.stringify({ name, description: 'Checks heron hosts. Use before a deploy.', body: '## Steps\n1. Run scripts/check.sh.\n', files: [{ path: 'scripts/check.sh', content: 'echo ok\n' }] }) }, { sessionId: 'chat-1', conversationId: 'console:local', userId: 'console:local', platform: 'console', isAdmin: true, signal: new AbortController().signal, now: () => clock.now() });
    expect((await create('checking-heron')).ok).toBe(true);
    expect((await create('Checking-Heron')).content).toContain('[name-format]');
    await chatProcess.close();
    await command(cairn, telegram, 'new');
    chat.push({ toolCalls: [{ name: 'skill_view', arguments: { name: 'checking-heron', file: 'scripts/check.sh' } }] }, { text: 'ok' });
    await say(cairn, telegram, 'check heron');
    expect(String(turns().at(-1)?.messages?.[0]?.content)).toContain('checking-heron');
    expect(toolResults().at(-1)).toBe('# checking-heron/scripts/check.sh (skill version 1)\n\necho ok');
    expect((await cli('skills', 'list')).filter((line) => line.includes('heron')).map((line) => line.split('  ').slice(0, 2).join(' '))).toEqual(['checking-heron [learned v1]', 'deploying-heron [learned v6]']);

    // Weeks pass without a use: the audits mark it stale, then archive it; a conversation begun before sees it gone.
    chat.push({ text: 'hello' });
    await say(cairn, telegram, 'hi');
    clock.set(day1 + 40 * DAY);
    const audit = await cairn.learning.audits.run('test');
    expect(audit?.report).toContain('deploying-heron');
    expect(history(cairn).at(-1)).toBe('v7 archive agent');
    expect(cairn.skills.versions.latest('checking-heron')?.action).toBe('archive');
    expect((await cli('skills', 'list')).at(-1)).toBe('Archived: checking-heron, deploying-heron');
    chat.push({ toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron' } }] }, { text: 'gone' });
    await say(cairn, telegram, 'deploy heron after the archive');
    expect(toolResults().at(-1)).toContain('archived');
    await command(cairn, telegram, 'new');
    chat.push({ text: 'hello' });
    await say(cairn, telegram, 'new conversation');
    expect(String(turns().at(-1)?.messages?.[0]?.content)).not.toContain('deploying-heron');

    // A backup while the bot runs, a rollback after it, then a restore: the archive and its files come back with it.
    const backup = join(tempDir(), 'backup');
    await cli('backup', '--out', backup);
    expect(await cli('skills', 'rollback', 'deploying-heron', '6')).toEqual(['Rolled deploying-heron back to the text of v6; that is now v8.']);
    expect(readFileSync(join(dataDir, 'skills', 'deploying-heron', 'scripts', 'push.sh'), 'utf8')).toBe('echo pushing\n');
    await cairn.close();
    await cli('restore', backup);
    ({ cairn, telegram } = start(day1 + 41 * DAY, 'auto'));
    expect(history(cairn).slice(-2)).toEqual(['v6 rollback person', 'v7 archive agent']);
    expect(await cli('skills', 'rollback', 'deploying-heron', '6')).toEqual(['Rolled deploying-heron back to the text of v6; that is now v8.']);
    expect(readFileSync(join(dataDir, 'skills', 'deploying-heron', 'references', 'hosts.md'), 'utf8')).toBe('# Hosts\nstaging-1\n');
    expect(readFileSync(skillFile, 'utf8')).toBe(cairn.skills.versions.latest('deploying-heron')?.text);
  });
});
