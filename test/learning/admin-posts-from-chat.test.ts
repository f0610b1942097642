/** Admin posts made by a process without the admin channel's adapter (`cairn chat`, the CLI) reach it through `cairn start`. */
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from './helpers.js';
import { createCairn, type Cairn } from '../../src/main.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { silentLogger } from '../../src/core/logger.js';
import type { CronPort } from '../../src/learning/scheduler.js';
import type { Timers } from '../../src/backends/timers.js';

let chat: LearningRig | undefined;
const bots: Cairn[] = [];
afterEach(async () => {
  for (const bot of bots.splice(0)) await bot.close();
  await chat?.close();
  chat = undefined;
});

const ADMINS = 'slack:T1:C1';
const create = { ...NO_CHANGE, skill: { action: 'create', name: 'checking-disk-space', description: 'How to check free disk space. Use when a disk may be full.', body: '## Steps\n1. Run df -h.\n', reason: 'asked often' } };
const three = [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }];
const cronPort: CronPort = () => ({ stop: () => undefined, nextRunAfter: (at) => at + 86_400_000 });

class HandTimers implements Timers {
  readonly waiting: { callback: () => void; ms: number }[] = [];
  setTimeout(callback: () => void, ms: number) {
    const entry = { callback, ms };
    this.waiting.push(entry);
    return entry;
  }
  clearTimeout(handle: unknown) {
    const at = this.waiting.indexOf(handle as { callback: () => void; ms: number });
    if (at >= 0) this.waiting.splice(at, 1);
  }
  fire(ms: number) {
    const due = this.waiting.filter((t) => t.ms === ms);
    for (const t of due) {
      this.clearTimeout(t);
      t.callback();
    }
  }
}

/** `cairn start` on the same data folder: a Slack adapter, so it can post to the admin channel. */
function startBot(timers: Timers = new HandTimers()): { bot: Cairn; slack: RecordingAdapter } {
  const bot = createCairn(chat!.cairn.config, { logger: silentLogger, clock: chat!.cairn.manualClock, cronPort, timers });
  const slack = new RecordingAdapter('slack');
  bot.gateway.attach(slack);
  bots.push(bot);
  return { bot, slack };
}

describe('admin posts from a process without the admin channel', () => {
  it('a proposal made in `cairn chat` is posted by `cairn start` when it starts, once, with its buttons', async () => {
    chat = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0', CAIRN_ADMIN_CHANNEL: ADMINS });
    chat.reflections.push(create);
    await chat.task('how full is the disk on web1', three);
    expect(chat.cairn.learning.proposals.pending()).toHaveLength(1);

    const { bot, slack } = startBot();
    await bot.learning.start();
    await bot.learning.idle();
    const posted = slack.sent.filter((s) => s.conversationId === ADMINS);
    expect(posted.map((s) => s.reply.text.split('\n')[0])).toEqual(['Cairn proposes a skill change, for an admin to review.']);
    expect(posted[0]?.reply.buttons?.map((b) => b.command)).toEqual(['/proposals apply 1', '/proposals reject 1']);

    // A restart does not post it again.
    await bot.close();
    const again = startBot();
    await again.bot.learning.start();
    await again.bot.learning.idle();
    expect(again.slack.sent).toHaveLength(0);
  });

  it('an audit run by `cairn chat` reaches the admins through a running `cairn start`, and two starts post it once', async () => {
    chat = await learningRig({ CAIRN_AUDIT_EVERY: '0', CAIRN_ADMIN_CHANNEL: ADMINS });
    const timers = new HandTimers();
    const first = startBot(timers);
    const second = startBot(timers);
    await first.bot.learning.start();
    await second.bot.learning.start();
    await chat.task('what time is it');
    const audit = await chat.cairn.learning.audits.run('every 15 tasks (15)');
    expect(audit?.status).toBe('done');
    timers.fire(60_000);
    await first.bot.learning.idle();
    await second.bot.learning.idle();
    const posted = [...first.slack.sent, ...second.slack.sent].filter((s) => s.conversationId === ADMINS);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.reply.text).toContain(`audit #${audit?.id}`);
  });
});

describe('a waiting proposal settled before `cairn start` sends it', () => {
  it('is not posted: there is nothing left to decide', async () => {
    chat = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0', CAIRN_ADMIN_CHANNEL: ADMINS });
    chat.reflections.push(create);
    await chat.task('how full is the disk on web1', three);
    chat.cairn.learning.proposals.reject(1, chat.cairn.manualClock.now());
    const { bot, slack } = startBot();
    await bot.learning.start();
    await bot.learning.idle();
    expect(slack.sent).toHaveLength(0);
  });
});

describe('a waiting post whose send fails', () => {
  it('waits for the next minute and is sent then, once', async () => {
    chat = await learningRig({ CAIRN_AUDIT_EVERY: '0', CAIRN_ADMIN_CHANNEL: ADMINS });
    await chat.task('what time is it');
    await chat.cairn.learning.audits.run('manual (cairn audit run)');
    const timers = new HandTimers();
    const { bot, slack } = startBot(timers);
    const send = slack.send.bind(slack);
    let failures = 1;
    slack.send = async (conversationId, reply) => {
      if (failures-- > 0) throw new Error('slack is down');
      return send(conversationId, reply);
    };
    await bot.learning.start();
    await bot.learning.idle();
    expect(slack.sent).toHaveLength(0);
    timers.fire(60_000);
    await bot.learning.idle();
    timers.fire(60_000);
    await bot.learning.idle();
    expect(slack.sent.map((s) => s.reply.text.split('\n')[0])).toEqual(['# Cairn audit #1']);
  });
});
