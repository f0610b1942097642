/**
 * An operator lets a stranger in: they message the bot on Telegram, get a pairing code, the
 * operator approves it with `cairn pairing approve` while Cairn runs; the person saves a note and
 * a weekly task, then links their Slack account (allowlisted) with /link. The operator's commands
 * (memory users/list, usage, tasks, schedules, pairing approved) and the person's own (/usage,
 * /schedules) tell the same story; revoking the Telegram account sends it back to pairing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { runCairnInProcess } from '../helpers/cli-in-process.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

const rig = useFakeModelRig();
let previousDataDir: string | undefined;
beforeEach(() => {
  previousDataDir = process.env.CAIRN_DATA_DIR;
});
afterEach(() => {
  if (previousDataDir === undefined) delete process.env.CAIRN_DATA_DIR;
  else process.env.CAIRN_DATA_DIR = previousDataDir;
});

describe('a stranger paired by the operator, then two accounts linked', () => {
  it('is one person to every command', async () => {
    const dataDir = tempDir();
    process.env.CAIRN_DATA_DIR = dataDir;
    const cli = (...args: string[]) => runCairnInProcess(...args);
    const clock = new ManualClock(Date.now());
    const cairn = rig.startWith(testConfig(rig.server.url, { SLACK_ALLOWED_USERS: 'U1', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC', CAIRN_AUX_MODEL: 'aux-model' }, dataDir), { clock });
    const telegram = new RecordingAdapter('telegram');
    const slack = new RecordingAdapter('slack');
    cairn.gateway.attach(telegram);
    cairn.gateway.attach(slack);
    let sent = 0;
    const onTelegram = (text: string, extra = {}) =>
      telegram.message(text, { messageId: `t${++sent}`, senderId: '555', userId: 'telegram:555', userName: 'bo', conversationId: 'telegram:dm:555', isDirect: true, ...extra });
    const onSlack = (text: string, extra = {}) =>
      slack.message(text, { messageId: `s${++sent}`, senderId: 'U1', userId: 'slack:T1:U1', userName: 'bo', conversationId: 'slack:T1:D1', isDirect: true, ...extra });
    const command = (text: string) => ({ command: { name: text.slice(1).split(' ')[0] ?? '', args: text.split(' ').slice(1).join(' ') } });

    // The stranger gets a code; the operator sees the same code and approves it.
    await cairn.gateway.receive(onTelegram('hello?'));
    const code = /pairing code is ([A-Z0-9]+)/.exec(telegram.texts().at(-1) ?? '')?.[1] ?? '';
    expect(code).not.toBe('');
    expect(await cli('pairing', 'list')).toEqual([expect.stringMatching(new RegExp(`^${code}  telegram  555  bo  expires `))]);
    expect((await cli('pairing', 'approve', code))[0]).toBe('Approved bo (telegram user 555). They can talk to Cairn now.');
    expect(await cli('pairing', 'list')).toEqual(['No pending pairing requests.']);

    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: 'Bo keeps bees in the garden.' } }] }, { text: 'Noted.' });
    await cairn.gateway.receive(onTelegram('remember I keep bees in the garden'));
    rig.server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind Bo to check the hives.', cron: '0 9 * * 1' } }] }, { text: 'Scheduled.' });
    await cairn.gateway.receive(onTelegram('remind me every Monday at 9 to check the hives'));
    expect(telegram.texts().slice(-2)).toEqual(['Noted.', 'Scheduled.']);

    // The Slack account issues a link code; the Telegram account redeems it.
    await cairn.gateway.receive(onSlack('/link', command('/link')));
    const linkCode = /link code is ([A-Z0-9]{8})/.exec(slack.texts().at(-1) ?? '')?.[1] ?? '';
    await cairn.gateway.receive(onTelegram(`/link ${linkCode}`, command(`/link ${linkCode}`)));
    expect(telegram.texts().at(-1)).toContain('Linked.');
    rig.server.enqueue({ text: 'You keep bees.' });
    await cairn.gateway.receive(onSlack('what do I keep?'));
    expect(JSON.stringify(rig.server.chatRequests().at(-1)?.messages)).toContain('Bo keeps bees in the garden.');

    // The operator's view: one person, under one key, whichever account is named.
    expect(await cli('memory', 'users')).toEqual([expect.stringMatching(/^slack:T1:U1 {2}1 note, newest .* \(linked: telegram:555\)$/)]);
    const notes = await cli('memory', 'list', '--user', 'slack:T1:U1');
    expect(notes).toEqual([expect.stringContaining('Bo keeps bees in the garden.')]);
    expect(await cli('memory', 'list', '--user', 'telegram:555')).toEqual(notes);
    const usage = JSON.parse((await cli('usage', '--json'))[0] ?? '{}') as { people: { user: string; calls: number; tokens: number }[] };
    expect(usage.people.map((row) => row.user)).toEqual(['slack:T1:U1']);
    const tasks = JSON.parse((await cli('tasks', 'list', '--json'))[0] ?? '[]') as { userId: string; request: string }[];
    // The tasks count for the person too, under the key their usage is listed by.
    expect(tasks.map((task) => [task.userId, task.request])).toEqual([
      ['slack:T1:U1', 'remind me every Monday at 9 to check the hives'],
      ['slack:T1:U1', 'remember I keep bees in the garden'],
    ]);
    expect(await cli('schedules', 'list')).toEqual([expect.stringMatching(/^#1 cron "0 9 \* \* 1", next .*, set by bo: Remind Bo to check the hives\. {2}\[telegram:dm:555\]$/)]);
    expect(await cli('pairing', 'approved')).toEqual([expect.stringMatching(/^telegram {2}555 {2}bo {2}approved .* by cli:/)]);

    // The person's view agrees with it.
    await cairn.gateway.receive(onSlack('/usage', command('/usage')));
    const tokens = usage.people[0]?.tokens ?? 0;
    expect(slack.texts().at(-1)).toContain(`your requests used ${tokens.toLocaleString('en-US')} tokens`);
    await cairn.gateway.receive(onSlack('/schedules', command('/schedules')));
    expect(slack.texts().at(-1)).toContain('#1 cron "0 9 * * 1"');

    // Revoked, the Telegram account is a stranger again; the Slack account stays in.
    // The task the Telegram account set would be refused at each run: it is paused, and listed so.
    expect(await cli('pairing', 'revoke', 'telegram', '555')).toEqual([
      'Revoked telegram user 555. 1 scheduled task they set is paused until they are approved again (`cairn schedules cancel` ends one). It is linked with slack:T1:U1, which still reaches Cairn as the same person, with their notes and tasks: take it out too to shut the person out.',
    ]);
    expect(await cli('schedules', 'list')).toEqual([expect.stringMatching(/^#1 cron "0 9 \* \* 1", paused \(bo has no access now; it runs once they do, from .*\): Remind Bo/)]);
    await cairn.gateway.receive(onTelegram('still there?'));
    expect(telegram.texts().at(-1)).toMatch(/pairing code is [A-Z0-9]+/);
    rig.server.enqueue({ text: 'Still here.' });
    await cairn.gateway.receive(onSlack('still there?'));
    expect(slack.texts().at(-1)).toBe('Still here.');
  });
});
