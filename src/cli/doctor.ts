/**
 * `cairn doctor`: checks configuration, the database, the models (./doctor-models.ts)
 * and each configured chat platform's credentials, and says what to fix. Exit code 1
 * when anything failed.
 */
import { existsSync } from 'node:fs';
import { processEnv, type Config } from '../config/load.js';
import { databasePath, openDatabase } from '../store/db.js';
import { describeError, isCairnError } from '../core/errors.js';
import { ConfigError } from '../core/errors.js';
import { redactText } from '../core/redact.js';
import { enabledPlatforms, type PlatformName } from '../core/adapter-factory.js';
import { ScheduleStore, type Schedule } from '../schedules/store.js';
import { ADAPTER_MODULES } from './adapter-modules.js';
import { checkDataFolder } from './doctor-data-folder.js';
import { checkDatabase } from './doctor-database.js';
import { checkHistory } from './doctor-history.js';
import { checkModels } from './doctor-models.js';
import { checkModelSwitch } from './doctor-model-switch.js';
import { checkAdminChannel, checkEnvFile, checkMetrics } from './doctor-settings.js';
import { checkSharedSkills, checkSkillFolders } from './doctor-skills.js';
import { checkVariables } from './doctor-variables.js';
import { checkProxy } from './doctor-proxy.js';
import { checkMcp, checkToolModules } from './doctor-tools.js';
import { search } from '../web/search.js';
import { DocumentPool } from '../core/documents/pool.js';

/** How long doctor waits for the search engine. */
const PROBE_TIMEOUT_MS = 10_000;
import type { CommandGroup } from './context.js';

export const doctorCommands: CommandGroup = ({ program, config, print }) => {
  program
    .command('doctor')
    .description('check configuration, database, model endpoints and chat platform credentials, and say what to fix')
    .action(async () => {
      let loaded: Config;
      try {
        loaded = config();
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        print(`✗ config: ${error.message}`);
        process.exitCode = 1;
        return;
      }
      if (!(await runDoctor(loaded, print))) process.exitCode = 1;
    });
};

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export async function runDoctor(config: Config, print: (line: string) => void): Promise<boolean> {
  const results: CheckResult[] = [{ name: 'config', ok: true, detail: config.configFile ? `loaded (file ${config.configFile})` : 'loaded from the environment' }];
  results.push(...checkProxy(config, processEnv(), process.cwd()), checkDatabase(config), checkDataFolder(config), ...checkHistory(config));
  // The checks that wait on the network run at once: on a host that answers nothing, one after
  // another they took minutes. Printed in this order all the same.
  const [models, switched, platforms, reader, search] = await Promise.all([checkModels(config), checkModelSwitch(config), checkPlatforms(config), checkDocumentReader(), checkSearch(config)]);
  results.push(...models, ...switched, ...platforms, reader, ...search);
  results.push(...checkSchedules(config), ...checkSkillFolders(config), ...checkSharedSkills(config), ...(await checkToolModules(config)), ...(await checkMcp(config)));
  results.push(...checkAdminChannel(config), ...checkMetrics(config), ...checkEnvFile(process.cwd()), ...checkVariables(processEnv(), process.cwd()));
  // People paste this output into issues and chats: a password in a base URL (a proxy's basic auth), a key a
  // server's error echoes or a token in a webhook path is masked, as in the logs.
  for (const result of results) print(redactText(`${result.ok ? '✓' : '✗'} ${result.name}: ${result.detail}`, config.secrets));
  const ok = results.every((result) => result.ok);
  print(ok ? 'Everything looks right.' : 'Fix the items marked ✗ and run `cairn doctor` again.');
  return ok;
}

/**
 * The process that reads PDFs and Office files starts and answers: handed bytes that are no
 * document, it must say so (a broken install fails here instead of on someone's file).
 */
async function checkDocumentReader(): Promise<CheckResult> {
  const pool = new DocumentPool({ maxProcesses: 1, timeLimitMs: PROBE_TIMEOUT_MS, idleMs: 0 });
  try {
    await pool.officeText(Buffer.from('not a document'), 'docx', new AbortController().signal);
    return { name: 'documents', ok: false, detail: 'the document reader took bytes that are no document for a Word file.' };
  } catch (error) {
    if (isCairnError(error) && error.code === 'invalid_input') return { name: 'documents', ok: true, detail: 'the reader of PDFs and Office files starts and answers' };
    return { name: 'documents', ok: false, detail: `the reader of PDFs and Office files does not work: ${describeError(error)} Run \`npm install\` again (it rebuilds dist/).` };
  } finally {
    pool.close();
  }
}

/** The web_search engine, when one is set: one small query. */
async function checkSearch(config: Config): Promise<CheckResult[]> {
  const { provider, ...engine } = config.web.search;
  if (!provider) return [];
  try {
    const results = await search({ provider, ...engine, proxy: config.proxy }, 'cairn', 1, PROBE_TIMEOUT_MS, new AbortController().signal);
    return [{ name: 'web search', ok: true, detail: `${provider} answered a test query (${results.length} result${results.length === 1 ? '' : 's'})` }];
  } catch (error) {
    return [{ name: 'web search', ok: false, detail: describeError(error) }];
  }
}

/** Scheduled tasks of a platform no longer configured wait, silently, until it is again. */
function checkSchedules(config: Config): CheckResult[] {
  let tasks: Schedule[];
  const path = databasePath(config.dataDir);
  if (!existsSync(path)) return [];
  try {
    const db = openDatabase(path);
    try {
      tasks = new ScheduleStore(db).active();
    } finally {
      db.close();
    }
  } catch {
    return []; // The database check above says what is wrong.
  }
  if (tasks.length === 0) return [];
  const running = new Set<string>(['console', ...enabledPlatforms(config)]);
  const stranded = tasks.filter((task) => !running.has(task.platform));
  if (stranded.length > 0) {
    const platforms = [...new Set(stranded.map((task) => task.platform))].join(', ');
    return [{ name: 'scheduled tasks', ok: false, detail: `${stranded.length} of ${tasks.length} belong to ${platforms}, not configured now: they wait until it is. \`cairn schedules list\` shows them; \`cairn schedules cancel <id>\` drops one.` }];
  }
  const next = tasks[0]?.nextRunAt;
  return [{ name: 'scheduled tasks', ok: true, detail: `${tasks.length} active${next === undefined ? '' : `, the next at ${new Date(next).toISOString()}`}` }];
}

/** Each configured platform's token and settings, by a read-only call to its API (no connection is kept). */
async function checkPlatforms(config: Config): Promise<CheckResult[]> {
  const platforms = enabledPlatforms(config);
  const halfSet = halfConfigured(config);
  if (platforms.length === 0 && halfSet.length === 0) return [{ name: 'platforms', ok: true, detail: 'none configured (`cairn chat` works in the terminal; see README for Telegram, Slack and Discord)' }];
  return [...(await Promise.all(platforms.map((platform) => checkPlatform(platform, config)))), ...halfSet];
}

/**
 * A platform whose other settings are there but not the token that turns it on (a bot token left
 * out, or pasted under the wrong name): `cairn start` runs without it, and "none configured" with
 * a ✓ told the person nothing was wrong.
 */
function halfConfigured(config: Config): CheckResult[] {
  const { telegram, slack, discord } = config.platforms;
  const halves: [PlatformName, string, string, string, Record<string, unknown>][] = [
    ['telegram', 'Telegram', 'TELEGRAM_BOT_TOKEN', 'the token @BotFather gave', { TELEGRAM_WEBHOOK_URL: telegram.webhookUrl, TELEGRAM_WEBHOOK_SECRET: telegram.webhookSecret }],
    ['slack', 'Slack', 'SLACK_BOT_TOKEN', 'xoxb-…, under OAuth & Permissions', { SLACK_APP_TOKEN: slack.appToken, SLACK_SIGNING_SECRET: slack.signingSecret }],
    ['discord', 'Discord', 'DISCORD_TOKEN', 'the bot token, under Bot in the developer portal', { DISCORD_APPLICATION_ID: discord.applicationId, DISCORD_GUILD_ID: discord.guildId }],
  ];
  const on = new Set(enabledPlatforms(config));
  return halves.flatMap(([platform, label, token, what, settings]) => {
    const set = Object.keys(settings).filter((name) => settings[name] !== undefined);
    if (on.has(platform) || set.length === 0) return [];
    return [{ name: platform, ok: false, detail: `${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} set, but ${token} is not, so Cairn does not run on ${label}: set ${token} (${what}), or remove ${set.join(' and ')}.` }];
  });
}

/** One platform's credentials, checked with read-only calls (also `cairn setup`'s check). */
export async function checkPlatform(platform: PlatformName, config: Config): Promise<CheckResult> {
  try {
    const adapter = await ADAPTER_MODULES[platform]();
    return { name: platform, ok: true, detail: await adapter.checkCredentials(config) };
  } catch (error) {
    return { name: platform, ok: false, detail: error instanceof ConfigError ? error.problems.join(' ') : describeError(error).replace(/\.?$/, '.') };
  }
}
