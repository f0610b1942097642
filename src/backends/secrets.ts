/**
 * What an execution environment may see of Cairn's own environment. Back ends on
 * this machine start from the `backends.passEnv` allowlist, minus anything whose
 * name looks like a credential or that belongs to Cairn's configuration; every
 * variable (host, configured or asked for by the model) is dropped when its value
 * contains one of Cairn's secrets. A model with a terminal must not be able to
 * read the keys that run it.
 */

/** Names that usually hold credentials. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|PRIVATE|SIGNING)/i;
/** Prefixes of Cairn's own settings and of the services it holds keys for. */
const CAIRN_PREFIXES = ['CAIRN_', 'OPENAI_', 'OPENROUTER_', 'NOUS_', 'TELEGRAM_', 'SLACK_', 'DISCORD_', 'MODAL_', 'DAYTONA_', 'AWS_', 'GOOGLE_', 'AZURE_'];

export interface StrippedEnv {
  env: Record<string, string>;
  /** Names removed, for a debug log line (never the values). */
  removed: string[];
}

/** Host variables: allowlisted upstream, then anything credential-like or holding a secret is removed. */
export function stripHostEnv(env: Record<string, string>, secrets: readonly string[]): StrippedEnv {
  const kept: Record<string, string> = {};
  const removed: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_NAME.test(name) || CAIRN_PREFIXES.some((prefix) => name.startsWith(prefix)) || containsSecret(value, secrets)) removed.push(name);
    else kept[name] = value;
  }
  return { env: kept, removed };
}

/** Variables someone chose to set (config, the model): kept unless a value carries one of Cairn's secrets. */
export function stripSecretValues(env: Record<string, string>, secrets: readonly string[]): StrippedEnv {
  const kept: Record<string, string> = {};
  const removed: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (containsSecret(value, secrets)) removed.push(name);
    else kept[name] = value;
  }
  return { env: kept, removed };
}

function containsSecret(value: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => secret.length >= 8 && value.includes(secret));
}
