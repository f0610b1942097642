/**
 * `cairn doctor`'s check of the variables set for Cairn. One it reads under no name (a typo, a
 * name another bot uses: DISCORD_BOT_TOKEN, OPENAI_BASE_URL) leaves the setting at its default
 * with no word, and doctor said "Everything looks right"; a key the config file has no setting
 * for is refused the same way. No network.
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

/** Fails when a variable of Cairn's families in `env` or `<dir>/.env` is not one Cairn reads. */
export function checkVariables(env: Env, dir: string): CheckResult[] {
  const path = join(dir, '.env');
  const fromFile = existsSync(path) ? Object.keys(readDotenv(path)) : [];
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
