/**
 * Bo uses Cairn from three platforms: Slack at work (where Bo is an admin), a Discord community
 * server (allowlisted) and Telegram DMs on the phone (let in by pairing). Over three weeks Bo links
 * the three accounts into one person, spends one daily allowance from all of them, reads on one
 * platform what was saved on another, has a weekly task answer where it was set, and unlinks and
 * links the phone again. The operator's commands (`cairn usage`, `cairn pairing revoke`) must tell
 * the same story as the chat: one person with three accounts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { ManualClock } from '../../src/core/clock.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { runCairnInProcess } from '../helpers/cli-in-process.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { runScheduledTasks } from '../helpers/scheduled-runs.js';
import { ManualTimers } from '../backends/helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const rig = useFakeModelRig();
let previousDataDir: string | undefined;
beforeEach(() => {
  previousDataDir = process.env.CAIRN_DATA_DIR;
  // The operator's `cairn` commands read the wall clock: it follows the bot's clock here.
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
  if (previousDataDir === undefined) delete process.env.CAIRN_DATA_DIR;
  else process.env.CAIRN_DATA_DIR = previousDataDir;
});

const commandOf = (text: string): Partial<InboundMessage> => {
  const match = /^\/(\w+)\s*(.*)$/.exec(text);
  return match ? { command: { name: match[1] ?? '', args: match[2] ?? '' } } : {};
};
const codeIn = (text: string | undefined): string => /link code is ([A-Z0-9]{8})/.exec(text ?? '')?.[1] ?? '';

describe('one person on Slack, Discord and Telegram, linked for three weeks', () => {
  it('is one person to the chat and to the operator', async () => {
    const dataDir = tempDir();
    process.env.CAIRN_DATA_DIR = dataDir;
    // Monday 2 March 2026, 08:00 UTC.
    const clock = new ManualClock(Date.parse('2026-03-02T08:00:00Z'));
    const cli = (...args: string[]) => {
      vi.setSystemTime(clock.now());
      return runCairnInProcess(...args);
    };
    const timers = new ManualTimers();
    rig.server.setDefault(() => ({ text: 'done', usage: { prompt_tokens: 500, completion_tokens: 20 } }));
    const config = testConfig(rig.server.url, { SLACK_ADMIN_USERS: 'U1', DISCORD_ALLOWED_USERS: '77', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC', CAIRN_USER_DAILY_TOKENS: '2000' }, dataDir);
    const cairn = rig.startWith(config, { clock, timers });
    const [slack, discord, telegram] = [new RecordingAdapter('slack'), new RecordingAdapter('discord'), new RecordingAdapter('telegram')];
    for (const adapter of [slack, discord, telegram]) cairn.gateway.attach(adapter);
    const scheduled = runScheduledTasks({ ...cairn, manualClock: clock }, timers);
    let sent = 0;
    const bo = { userName: 'bo', isDirect: true };
    const onSlack = (text: string) => cairn.gateway.receive(slack.message(text, { ...bo, messageId: `s${++sent}`, senderId: 'U1', userId: 'slack:T1:U1', conversationId: 'slack:T1:D1', ...commandOf(text) }));
    const onDiscord = (text: string) => cairn.gateway.receive(discord.message(text, { ...bo, messageId: `d${++sent}`, senderId: '77', userId: 'discord:77', conversationId: 'discord:dm:77', ...commandOf(text) }));
    const onTelegram = (text: string) => cairn.gateway.receive(telegram.message(text, { ...bo, messageId: `t${++sent}`, senderId: '555', userId: 'telegram:555', conversationId: 'telegram:555', ...commandOf(text) }));

    // Step 1: the phone asks for access; the operator lets it in.
    expect(await onTelegram('hello?')).toBe('pairing');
    const pairing = /pairing code is ([A-Z0-9]+)/.exec(telegram.texts().at(-1) ?? '')?.[1] ?? '';
    expect((await cli('pairing', 'approve', pairing))[0]).toBe('Approved bo (telegram user 555). They can talk to Cairn now.');

    // Step 2: before any link, the phone has its own note and weekly task.
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: 'Bo keeps bees in the garden.' } }] }, { text: 'Noted.' });
    await onTelegram('remember that I keep bees in the garden');
    rig.server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind Bo to check the hives.', cron: '0 9 * * 1' } }] }, { text: 'Every Monday at 9.' });
    await onTelegram('every Monday at 9 remind me to check the hives');
    expect(cairn.schedules.store.get(1)).toMatchObject({ status: 'active', person: 'telegram:555', conversationId: 'telegram:555' });

    // Step 3: a code is one-time and lasts 15 minutes; one typed on its own account links nothing.
    await onSlack('/link');
    const late = codeIn(slack.texts().at(-1));
    clock.advance(16 * MINUTE);
    await onDiscord(`/link ${late}`);
    expect(discord.texts().at(-1)).toBe('That link code is unknown or expired. Send /link on your other account to get a new one.');
    await onSlack('/link');
    const code = codeIn(slack.texts().at(-1));
    await onSlack(`/link ${code}`);
    expect(slack.texts().at(-1)).toBe('Send this code from your other account, not from the one that created it.');
    await onDiscord(`/link ${code.toLowerCase()}`);
    expect(discord.texts().at(-1)).toBe('Linked. These accounts are now one person to me: slack:T1:U1, discord:77. Use /unlink to undo.');
    await onTelegram(`/link ${code}`);
    expect(telegram.texts().at(-1)).toBe('That link code is unknown or expired. Send /link on your other account to get a new one.');
    await onDiscord('/link');
    await onTelegram(`/link ${codeIn(discord.texts().at(-1))}`);
    expect(telegram.texts().at(-1)).toBe('Linked. These accounts are now one person to me: slack:T1:U1, discord:77, telegram:555. Use /unlink to undo.');

    // Step 4: the phone's note and task are the person's, seen from the others.
    await onDiscord('/memory');
    expect(discord.texts().at(-1)).toContain('Bo keeps bees in the garden.');
    await onSlack('/schedules');
    expect(slack.texts().at(-1)).toContain('Remind Bo to check the hives. [in direct chat telegram:555]');

    // Step 5: one allowance: what the phone and Discord spend is the person's, and each account sees it.
    await onDiscord('summarize the thread');
    await onTelegram('and what about this?');
    await onDiscord('/usage');
    const spent = discord.texts().at(-1) ?? '';
    expect(spent).toMatch(/^Today \(since 00:00 UTC\) your requests used [\d,]+ tokens\.\nYour daily allowance is 2,000: [\d,]+ left/);
    await onTelegram('/usage');
    expect(telegram.texts().at(-1)).toBe(spent);
    // An admin on Slack is held to nothing there, but what they spend there counts on the phone and on Discord.
    await onSlack('/usage');
    const left = /([\d,]+) left/.exec(spent)?.[1];
    expect(slack.texts().at(-1)).toContain(`admins have none, but your requests here count toward it on linked accounts where you are no admin (${left} left there today).`);

    // Step 6: the operator sees one person, with the accounts it is made of.
    const usage = await cli('usage');
    expect(usage.slice(0, 2)).toEqual(['Today (since 00:00 UTC):', expect.stringMatching(/^ {2}slack:T1:U1 \(linked: discord:77, telegram:555\) +[\d,]+ tokens +\d+ calls$/)]);
    const json = JSON.parse((await cli('usage', '--json'))[0] ?? '{}') as { people: { user: string; linked?: string[] }[] };
    expect(json.people).toEqual([expect.objectContaining({ user: 'slack:T1:U1', linked: ['discord:77', 'telegram:555'] })]);

    // Step 7: revoking the phone takes out one account, not the person: the operator is told so.
    expect(await cli('pairing', 'revoke', 'telegram', '555')).toEqual([
      'Revoked telegram user 555. 1 scheduled task they set is paused until they are approved again (`cairn schedules cancel` ends one). It is linked with slack:T1:U1, discord:77, which still reach Cairn as the same person, with their notes and tasks: take them out too to shut the person out.',
    ]);
    expect(await onTelegram('still there?')).toBe('pairing');
    expect(await onSlack('still there?')).toBe('turn');
    await onTelegram('hello again');
    const again = /pairing code is ([A-Z0-9]+)/.exec(telegram.texts().at(-1) ?? '')?.[1] ?? '';
    expect((await cli('pairing', 'approve', again))[0]).toContain('1 scheduled task they set before their access was revoked runs again.');

    // Step 8, a week later (Monday 9 March, 09:00): the weekly task answers on the phone, where it was set.
    rig.server.enqueue({ text: 'Time to check the hives.' });
    await scheduled.pass(Date.parse('2026-03-09T09:00:00Z') - clock.now(), 1);
    expect(telegram.sent.at(-1)).toMatchObject({ conversationId: 'telegram:555', reply: { text: 'Time to check the hives.' } });

    // Step 9: the phone leaves the person: its task goes with it, the note stays with the others.
    await onTelegram('/unlink');
    await onDiscord('/schedules');
    expect(discord.texts().at(-1)).not.toContain('check the hives');
    await onTelegram('/schedules');
    expect(telegram.texts().at(-1)).toContain('Remind Bo to check the hives.');
    await onTelegram('/memory');
    expect(telegram.texts().at(-1)).toMatch(/^I don't remember anything about you yet\./);
    await onDiscord('/memory');
    expect(discord.texts().at(-1)).toContain('Bo keeps bees in the garden.');
    // The phone's requests today (the task's run) stay the person's, counted once; the phone counts them too, as its /usage says.
    await onTelegram('/usage');
    expect(telegram.texts().at(-1)).toMatch(/^Today \(since 00:00 UTC\) your requests used 820 tokens\./);
    expect((await cli('usage')).slice(0, 3)).toEqual([
      'Today (since 00:00 UTC):',
      '  slack:T1:U1 (linked: discord:77)           820 tokens       1 calls',
      '  telegram:555                                 0 tokens       0 calls  (and 820 tokens the person it left spent that day, which count toward its allowance too)',
    ]);

    // Step 10, a week later: linked again, then /forget all from Discord clears what the phone sees too.
    clock.advance(7 * DAY);
    await onSlack('/link');
    await onTelegram(`/link ${codeIn(slack.texts().at(-1))}`);
    await onTelegram('/memory');
    expect(telegram.texts().at(-1)).toContain('Bo keeps bees in the garden.');
    await onDiscord('/forget all');
    await onTelegram('/memory');
    expect(telegram.texts().at(-1)).toMatch(/^I don't remember anything about you yet\./);
  });
});
