/**
 * An operator's data folder with Cairn running on it, for the scenarios where they run `cairn …`
 * beside it (backups, restores, upgrades): the variables `runCairnOn` sets are put back after each
 * test, a Cairn on the folder answers one Telegram user's DMs, and `cairn …` runs on the folder.
 */
import { afterEach, beforeEach } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { InboundMessage } from '../../src/core/message.js';
import { testConfig } from './cairn.js';
import { runCairnOn } from './cli-in-process.js';
import type { FakeModelRig } from './fake-model-rig.js';
import { RecordingAdapter } from './recording-adapter.js';

const VARIABLES = ['CAIRN_DATA_DIR', 'CAIRN_BASE_URL', 'CAIRN_MODEL', 'CAIRN_API_KEY', 'CAIRN_TZ'] as const;

/** Puts back, after each test, the variables `runCairnOn` sets. Call at the top of a test file. */
export function keepOperatorVariables(): void {
  let saved: Partial<Record<(typeof VARIABLES)[number], string>> = {};
  beforeEach(() => {
    saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  });
  afterEach(() => {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
}

/** Cairn on `dataDir` at `at`, with Telegram user 1 (ana) allowed; `dm` is a message of theirs. */
export function startOnFolder(rig: FakeModelRig, dataDir: string, at: number) {
  const clock = new ManualClock(at);
  const config = testConfig(rig.server.url, { TELEGRAM_ALLOWED_USERS: '1', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC' }, dataDir);
  const cairn = rig.startWith(config, { clock });
  const telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
  const dm = (text: string, messageId: string): InboundMessage =>
    telegram.message(text, { messageId, conversationId: 'telegram:1', senderId: '1', userId: 'telegram:1', userName: 'ana', isDirect: true });
  return { cairn, telegram, clock, config, dm };
}

/** `cairn …` on a data folder, against the rig's model, as the operator runs it in a shell (or cron) beside the running Cairn. */
export function operatorCli(rig: FakeModelRig): (dataDir: string, ...args: string[]) => Promise<string[]> {
  return (dataDir, ...args) => runCairnOn(dataDir, rig.server.url, ...args);
}
