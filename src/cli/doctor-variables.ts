/**
 * `cairn doctor`'s check of the variables set for Cairn. One it reads under no name (a typo, a
 * name another bot uses: DISCORD_BOT_TOKEN, OPENAI_BASE_URL) leaves the setting at its default
 * with no word, and doctor said "Everything looks right"; a key the config file has no setting
 * for is refused the same way. And a key or token whose value in the environment hides another in `.env`
 * (checkShadowed). No network.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { readDotenv } from '../config/dotenv.js';
import { ENV_BINDINGS, PROVIDER_KEY_ENV } from '../config/env.js';
import type { Env } from '../config/load.js';
import type { CheckResult } from './doctor.js';

const READ = new Set<string>([...ENV_BINDINGS.map((binding) => binding.name), ...PROVIDER_KEY_ENV, 'CAIRN_CONFIG']);

/**
 * Prefixes whose variables in `.env` are Cairn's: nothing else reads that file, and the back ends
 * never see them. In the environment only CAIRN_ is Cairn's alone (other tools use SLACK_…, OPENAI_…).
 */
const DOTENV_FAMILIES = ['CAIRN', 'TELEGRAM', 'SLACK', 'DISCORD', 'OPENAI', 'OPENROUTER', 'NOUS', 'MODAL', 'DAYTONA'];
/** The test suites' and benchmarks' own variables (README, Tests; bench/). */
const TESTS = /^CAIRN_(TEST|BENCH)_/;

/** The variables Cairn reads that hold a key, token or password (each read as a secret). */
const SECRET = /(?:KEY|TOKEN|SECRET|PASSWORD|PASSPHRASE)$/;

/** Fails when a variable of Cairn's families in `env` or `<dir>/.env` is not one Cairn reads, or a secret in `env` hides another value in `.env`. */
export function checkVariables(env: Env, dir: string): CheckResult[] {
  const path = join(dir, '.env');
  const file = existsSync(path) ? readDotenv(path) : {};
  return [...checkUnread(env, Object.keys(file)), ...checkShadowed(env, file)];
}

/**
 * A key or token rotated in `.env` while the old one is still exported in the environment (a shell profile, a
 * systemd unit, a container started before the edit): the environment wins, so the refused old value stays in force
 * and nothing said why. The values are compared, never shown.
 */
function checkShadowed(env: Env, file: Record<string, string>): CheckResult[] {
  const shadowed = Object.entries(file)
    .filter(([name, value]) => READ.has(name) && SECRET.test(name) && env[name]?.trim() && value.trim() && env[name]?.trim() !== value.trim())
    .map(([name]) => name);
  if (shadowed.length === 0) return [];
  const names = shadowed.join(', ');
  const many = shadowed.length > 1;
  return [
    {
      name: 'variables',
      ok: false,
      detail: `${names} ${many ? 'are' : 'is'} set in the environment and in .env with different values: the environment's wins, so the value in .env is not used. Unset ${many ? 'them' : names} in the environment (or set the new value there), then restart Cairn.`,
    },
  ];
}

function checkUnread(env: Env, fromFile: readonly string[]): CheckResult[] {
  const unread = [
    ...Object.keys(env)
      .filter((name) => name.startsWith('CAIRN_'))
      .map((name) => ({ name, where: '' })),
    ...fromFile.filter((name) => env[name] === undefined && DOTENV_FAMILIES.includes(familyOf(name))).map((name) => ({ name, where: 'in .env' })),
  ].filter(({ name }) => !READ.has(name) && !TESTS.test(name));
  if (unread.length === 0) return [];
  const named = unread.map(({ name, where }) => {
    const meant = suggestion(name);
    const notes = [where, meant ? `did you mean ${meant}?` : ''].filter(Boolean).join('; ');
    return notes ? `${name} (${notes})` : name;
  });
  return [
    {
      name: 'variables',
      ok: false,
      detail: `Cairn reads no variable named ${named.join(', ')}, so what it says is not in force: rename or remove it. The Configuration section of README.md lists the variables Cairn reads.`,
    },
  ];
}

function familyOf(name: string): string {
  return name.split('_')[0] ?? '';
}

/** The variable a name most likely meant: a close one of its own family, else CAIRN_ with the same ending (OPENAI_BASE_URL → CAIRN_BASE_URL). */
function suggestion(name: string): string | undefined {
  const family = familyOf(name);
  const kin = [...READ].filter((known) => familyOf(known) === family);
  const near = kin.length > 0 ? closest(name, kin) : undefined;
  if (near !== undefined && distance(name, near) <= Math.max(3, Math.floor((name.length - family.length) / 2))) return near;
  const same = `CAIRN_${name.slice(family.length + 1)}`;
  return READ.has(same) ? same : undefined;
}
