/** What `cairn setup` asks for each chat platform, and the variables that hold the answers. */
import type { PlatformName } from '../core/adapter-factory.js';
import type { Ask } from './setup.js';

export interface PlatformQuestions {
  platform: PlatformName;
  label: string;
  /** Asks for the platform's settings; an empty answer keeps what .env has. */
  ask(ask: Ask, file: Record<string, string>): Promise<Record<string, string>>;
}

const VARIABLES: Record<PlatformName, readonly string[]> = {
  telegram: ['TELEGRAM_BOT_TOKEN'],
  slack: ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET'],
  discord: ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID'],
};

export function platformVariables(platform: PlatformName): readonly string[] {
  return VARIABLES[platform];
}

export const PLATFORM_QUESTIONS: readonly PlatformQuestions[] = [
  {
    platform: 'telegram',
    label: 'Telegram',
    ask: async (ask, file) => ({ TELEGRAM_BOT_TOKEN: await secret(ask, file, 'TELEGRAM_BOT_TOKEN', 'Telegram bot token, from @BotFather') }),
  },
  {
    platform: 'slack',
    label: 'Slack',
    ask: async (ask, file) => {
      const bot = await secret(ask, file, 'SLACK_BOT_TOKEN', 'Slack bot token (xoxb-…, under OAuth & Permissions)');
      // Asked outright, since an empty answer cannot mean both "keep the app token" and "none".
      // Only the chosen way's setting is written: with both set, Cairn uses Socket Mode.
      const events = await ask.select<'socket' | 'http'>({
        message: 'How should Slack send events to Cairn?',
        default: file.SLACK_SIGNING_SECRET && !file.SLACK_APP_TOKEN ? 'http' : 'socket',
        choices: [
          { name: 'Socket Mode: Cairn connects to Slack, no public URL needed (an app-level token, xapp-…)', value: 'socket' },
          { name: 'HTTP: Slack posts to https://<your host>/slack/events (the signing secret)', value: 'http' },
        ],
      });
      if (events === 'socket') return { SLACK_BOT_TOKEN: bot, SLACK_APP_TOKEN: await secret(ask, file, 'SLACK_APP_TOKEN', 'App-level token for Socket Mode (xapp-…, under Basic Information, with connections:write)') };
      return { SLACK_BOT_TOKEN: bot, SLACK_SIGNING_SECRET: await secret(ask, file, 'SLACK_SIGNING_SECRET', 'Signing secret (under Basic Information)') };
    },
  },
  {
    platform: 'discord',
    label: 'Discord',
    ask: async (ask, file) => {
      const token = await secret(ask, file, 'DISCORD_TOKEN', 'Discord bot token (Bot, Reset Token)');
      const application = await ask.input({
        message: 'Application id (General Information):',
        ...(file.DISCORD_APPLICATION_ID ? { default: file.DISCORD_APPLICATION_ID } : {}),
        validate: (value) => /^\d{5,25}$/.test(value.trim()) || 'The application id is a long number.',
      });
      return { DISCORD_TOKEN: token, DISCORD_APPLICATION_ID: application.trim() };
    },
  },
];

/** A token, not shown as it is typed; empty keeps the one in .env. */
async function secret(ask: Ask, file: Record<string, string>, key: string, what: string): Promise<string> {
  const kept = file[key];
  const answer = await ask.secret({
    message: `${what} (${key})${kept ? ', empty to keep the one in .env' : ''}:`,
    validate: (value) => value.trim() !== '' || Boolean(kept) || 'Paste it (it is not shown).',
  });
  return answer.trim() || kept || '';
}
