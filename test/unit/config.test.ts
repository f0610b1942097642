import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, requireModel } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { channelOverride } from '../../src/config/channels.js';
import { parseDotenv } from '../../src/config/dotenv.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cairn-config-'));

describe('loadConfig', () => {
  it('needs no model to load, and says exactly what to set when one is required', () => {
    const config = loadConfig({ env: {}, cwd: dir() });
    expect(config.providers).toEqual([]);
    expect(() => requireModel(config)).toThrow(ConfigError);
    try {
      requireModel(config);
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ['OPENAI_API_KEY', 'OPENROUTER_API_KEY', 'NOUS_API_KEY', 'CAIRN_BASE_URL', 'CAIRN_MODEL']) expect(message).toContain(name);
    }
  });

  it('infers the provider from one key and uses its preset', () => {
    const config = loadConfig({ env: { OPENROUTER_API_KEY: 'sk-or-123456789' }, cwd: dir() });
    expect(config.providers[0]).toMatchObject({ name: 'openrouter', baseUrl: 'https://openrouter.ai/api/v1', apiKey: 'sk-or-123456789' });
    expect(config.auxModel).toBe(config.providers[0]?.model);
    expect(config.secrets).toContain('sk-or-123456789');
  });

  it('takes a custom OpenAI-compatible endpoint without a key', () => {
    const config = loadConfig({ env: { CAIRN_BASE_URL: 'http://127.0.0.1:11434/v1', CAIRN_MODEL: 'llama3', CAIRN_AUX_MODEL: 'tiny' }, cwd: dir() });
    expect(config.providers[0]).toMatchObject({ name: 'custom', model: 'llama3' });
    expect(config.auxModel).toBe('tiny');
  });

  it('turns metrics on with a token long enough to guess at, and keeps the token out of logs', () => {
    expect(() => loadConfig({ env: { CAIRN_METRICS: 'maybe', CAIRN_METRICS_TOKEN: 'short' }, cwd: dir() })).toThrow(/CAIRN_METRICS[\s\S]*CAIRN_METRICS_TOKEN[\s\S]*16 characters/);
    const config = loadConfig({ env: { CAIRN_METRICS: 'yes', CAIRN_METRICS_TOKEN: 'a-token-of-24-characters' }, cwd: dir() });
    expect(config.metrics).toEqual({ enabled: true, token: 'a-token-of-24-characters' });
    expect(config.secrets).toContain('a-token-of-24-characters');
  });

  it('refuses a time limit longer than a timer can wait (Node would fire it after 1 ms)', () => {
    expect(() => loadConfig({ env: { CAIRN_BACKEND_IDLE_MINUTES: '50000' }, cwd: dir() })).toThrow(/CAIRN_BACKEND_IDLE_MINUTES: Too big: expected number to be <=35791/);
    expect(() => loadConfig({ env: { CAIRN_REQUEST_TIMEOUT_MS: '3000000000' }, cwd: dir() })).toThrow(/CAIRN_REQUEST_TIMEOUT_MS: Too big: expected number to be <=2147483647/);
    expect(loadConfig({ env: { CAIRN_BACKEND_IDLE_MINUTES: '30000' }, cwd: dir() }).backends.idleMinutes).toBe(30_000);
  });

  it('refuses a Docker mount that is not an absolute path (Docker would make a named volume of it)', () => {
    expect(() => loadConfig({ env: { CAIRN_DOCKER_MOUNT: 'work' }, cwd: dir() })).toThrow(/CAIRN_DOCKER_MOUNT: must be an absolute path on the Docker host/);
    expect(loadConfig({ env: { CAIRN_DOCKER_MOUNT: '/srv/cairn/work' }, cwd: dir() }).backends.docker.mount).toBe('/srv/cairn/work');
  });

  it('names every bad variable in one message', () => {
    const env = { CAIRN_HTTP_PORT: 'eighty', CAIRN_LOG_LEVEL: 'loud', CAIRN_MAX_STEPS: '0' };
    expect(() => loadConfig({ env, cwd: dir() })).toThrow(/CAIRN_HTTP_PORT[\s\S]*CAIRN_LOG_LEVEL|CAIRN_LOG_LEVEL[\s\S]*CAIRN_HTTP_PORT/);
    try {
      loadConfig({ env, cwd: dir() });
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(3);
      expect((error as Error).message).toContain('CAIRN_MAX_STEPS');
    }
  });

  it('reads a custom provider missing its model as a problem naming CAIRN_MODEL', () => {
    const config = loadConfig({ env: { CAIRN_PROVIDER: 'custom', CAIRN_BASE_URL: 'http://127.0.0.1:1/v1' }, cwd: dir() });
    expect(config.providers).toEqual([]);
    expect(config.modelProblems.join(' ')).toContain('CAIRN_MODEL');
  });

  it('merges a YAML file under the environment, with a fallback chain and channel overrides', () => {
    const cwd = dir();
    writeFileSync(
      join(cwd, 'cairn.yaml'),
      [
        'httpPort: 9000',
        'agent: { maxSteps: 3 }',
        'model:',
        '  fallback:',
        '    - { provider: nous, model: Hermes-4-405B }',
        'channels:',
        '  "slack:T1:": { model: cheap }',
        '  "slack:T1:C9": { model: smart }',
      ].join('\n'),
    );
    const config = loadConfig({ env: { OPENAI_API_KEY: 'sk-test-00000000', NOUS_API_KEY: 'nous-key-0000', CAIRN_HTTP_PORT: '0' }, configPath: 'cairn.yaml', cwd });
    expect(config.httpPort).toBe(0);
    expect(config.agent.maxSteps).toBe(3);
    expect(config.providers.map((p) => p.name)).toEqual(['openai', 'nous']);
    expect(config.providers[1]?.model).toBe('Hermes-4-405B');
    expect(channelOverride(config.channels, 'slack:T1:C9:123.4')?.model).toBe('smart');
    expect(channelOverride(config.channels, 'slack:T1:C2')?.model).toBe('cheap');
    expect(channelOverride(config.channels, 'slack:T10:C2')).toBeUndefined();
  });

  it('reports a broken fallback entry instead of silently dropping it', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'c.json'), JSON.stringify({ model: { fallback: [{ provider: 'openrouter' }] } }));
    const config = loadConfig({ env: { OPENAI_API_KEY: 'sk-test-00000000' }, configPath: 'c.json', cwd });
    expect(config.providers).toEqual([]);
    expect(config.modelProblems.join(' ')).toContain('OPENROUTER_API_KEY');
  });

  it('says which file is unreadable or not YAML', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'bad.yaml'), 'model: [unclosed');
    expect(() => loadConfig({ env: {}, configPath: 'bad.yaml', cwd })).toThrow(/bad\.yaml is not valid YAML/);
    expect(() => loadConfig({ env: {}, configPath: 'missing.yaml', cwd })).toThrow(/cannot be read/);
    writeFileSync(join(cwd, 'list.yaml'), '- 1\n- 2\n');
    expect(() => loadConfig({ env: {}, configPath: 'list.yaml', cwd })).toThrow(/mapping/);
  });

  it('reads user ids YAML took for numbers, and refuses one too long to read exactly (a Discord id), saying to quote it', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'ids.yaml'), 'platforms:\n  telegram:\n    adminUsers: [123456789]\n    allowedUsers: [123456789, "987654321"]\n');
    const config = loadConfig({ env: {}, configPath: 'ids.yaml', cwd });
    expect(config.platforms.telegram.adminUsers).toEqual(['123456789']);
    expect(config.platforms.telegram.allowedUsers).toEqual(['123456789', '987654321']);
    writeFileSync(join(cwd, 'discord.yaml'), 'platforms:\n  discord:\n    adminUsers: [80351110224678912]\n');
    expect(() => loadConfig({ env: {}, configPath: 'discord.yaml', cwd })).toThrow(/too long to be read exactly: put the id in quotes/);
  });

  it('names every key the file has that no setting has, with the key it most likely meant', () => {
    const cwd = dir();
    const file = join(cwd, 'typos.yaml');
    writeFileSync(
      file,
      ['modle: { model: x }', 'agent:', '  maxStep: 3', '  Name: Cairn', 'channels:', '  "slack:T1:": { modle: x }', 'model:', '  pricing:', '    m: { input: 1, output: 2, cached: 1 }', 'platforms:', '  telegram: { token: x }', 'colour: blue'].join('\n'),
    );
    let problems: readonly string[] = [];
    try {
      loadConfig({ env: {}, configPath: 'typos.yaml', cwd });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      `"modle" in ${file} is not a setting; did you mean "model"?`,
      `"agent.maxStep" in ${file} is not a setting; did you mean "agent.maxSteps"?`,
      `"agent.Name" in ${file} is not a setting; did you mean "agent.name"?`,
      `"channels.slack:T1:.modle" in ${file} is not a setting; did you mean "channels.slack:T1:.model"?`,
      `"model.pricing.m.cached" in ${file} is not a setting; did you mean "model.pricing.m.cachedInput"?`,
      `"platforms.telegram.token" in ${file} is not a setting; did you mean "platforms.telegram.botToken"?`,
      expect.stringMatching(/^"colour" in .* is not a setting; the keys here are "dataDir", "logLevel", .*"model", "agent", .*"rl"\.$/),
    ]);
  });

  it("loads the README's example config file without a problem", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = /The config file \(keys mirror[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain('fallback:');
    const cwd = dir();
    writeFileSync(join(cwd, 'cairn.yaml'), example!);
    const config = loadConfig({ env: { OPENROUTER_API_KEY: 'sk-or-123456789', NOUS_API_KEY: 'nous-key-0000', VLLM_KEY: 'vllm-key-0000' }, configPath: 'cairn.yaml', cwd });
    expect(config.model.model).toBe('nousresearch/hermes-4-405b');
    expect(config.providers).toHaveLength(3);
  });

  it('reads .env without overriding the real environment', () => {
    const cwd = dir();
    writeFileSync(join(cwd, '.env'), 'CAIRN_MODEL=from-dotenv\nCAIRN_BASE_URL=http://127.0.0.1:1/v1\nCAIRN_BOT_NAME=Dot\n');
    const config = loadConfig({ env: { CAIRN_MODEL: 'from-env' }, cwd });
    expect(config.providers[0]?.model).toBe('from-env');
    expect(config.agent.name).toBe('Dot');
  });

  it('reads the first variable of a .env saved with a byte-order mark (Notepad, PowerShell 5)', () => {
    const cwd = dir();
    writeFileSync(join(cwd, '.env'), '\uFEFFOPENAI_API_KEY=sk-abcdef123456\r\nCAIRN_MODEL=gpt-4o\r\n');
    const config = loadConfig({ env: {}, cwd });
    expect(config.modelProblems).toEqual([]);
    expect(config.providers[0]).toMatchObject({ name: 'openai', apiKey: 'sk-abcdef123456', model: 'gpt-4o' });
  });

  it('refuses an address without http:// or https://, naming the variable (localhost:11434 reads as a scheme)', () => {
    for (const url of ['localhost:11434/v1', '127.0.0.1:11434/v1', 'ftp://models.example.com/v1']) {
      expect(() => loadConfig({ env: { CAIRN_BASE_URL: url, CAIRN_MODEL: 'llama3' }, cwd: dir() })).toThrow(/CAIRN_BASE_URL/);
    }
    expect(() => loadConfig({ env: { TELEGRAM_WEBHOOK_URL: 'bot.example.com/telegram' }, cwd: dir() })).toThrow(/TELEGRAM_WEBHOOK_URL/);
  });

  it('refuses a name in a list of user ids, naming the variable and saying how to find the id (@alice matched no one)', () => {
    expect(() => loadConfig({ env: { TELEGRAM_ADMIN_USERS: '@alice' }, cwd: dir() })).toThrow(/TELEGRAM_ADMIN_USERS.*"@alice" is not a user id: Telegram ids are numbers/s);
    expect(() => loadConfig({ env: { SLACK_ALLOWED_USERS: 'U012AB3CD, alice' }, cwd: dir() })).toThrow(/SLACK_ALLOWED_USERS.*"alice" is not a user id: Slack ids look like U012AB3CD/s);
    expect(() => loadConfig({ env: { DISCORD_ADMIN_USERS: 'alice#1234' }, cwd: dir() })).toThrow(/DISCORD_ADMIN_USERS.*Copy User ID/s);
    const config = loadConfig({ env: { TELEGRAM_ADMIN_USERS: '123456789', SLACK_ALLOWED_USERS: 'U012AB3CD,W0ENTERPRISE', DISCORD_ALLOWED_USERS: '80351110224678912' }, cwd: dir() });
    expect(config.platforms.telegram.adminUsers).toEqual(['123456789']);
    expect(config.platforms.slack.allowedUsers).toEqual(['U012AB3CD', 'W0ENTERPRISE']);
  });

  it('refuses a terminal output budget past what one tool result holds, which the registry would cut again', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'cairn.yaml'), 'backends:\n  maxOutputChars: 60000\n');
    expect(() => loadConfig({ env: { CAIRN_CONFIG: join(cwd, 'cairn.yaml') }, cwd })).toThrow(/backends\.maxOutputChars/);
    writeFileSync(join(cwd, 'cairn.yaml'), 'backends:\n  maxOutputChars: 19000\n');
    expect(loadConfig({ env: { CAIRN_CONFIG: join(cwd, 'cairn.yaml') }, cwd }).backends.maxOutputChars).toBe(19_000);
  });

  it('reads a leading ~ in host paths as the home directory, as a shell would (.env files do not expand it)', () => {
    const config = loadConfig({ env: { CAIRN_DATA_DIR: '~/cairn', CAIRN_SKILLS_DIRS: '~/skills, /srv/skills', CAIRN_SSH_KEY: '~/.ssh/id_ed25519', CAIRN_SSH_KNOWN_HOSTS: '~' }, cwd: dir() });
    expect(config.dataDir).toBe(join(homedir(), 'cairn'));
    expect(config.skills.dirs).toEqual([join(homedir(), 'skills'), '/srv/skills']);
    expect(config.backends.ssh).toMatchObject({ key: join(homedir(), '.ssh', 'id_ed25519'), knownHosts: homedir() });
    expect(loadConfig({ env: { CAIRN_SINGULARITY_IMAGE: '~/images/tools.sif' }, cwd: dir() }).backends.singularity.image).toBe(join(homedir(), 'images', 'tools.sif'));
    expect(loadConfig({ env: { CAIRN_SINGULARITY_IMAGE: 'docker://debian:bookworm-slim' }, cwd: dir() }).backends.singularity.image).toBe('docker://debian:bookworm-slim');
    // CAIRN_CONFIG too: it is read from the home directory, not from a folder named "~".
    expect(() => loadConfig({ env: { CAIRN_CONFIG: '~/no-such-cairn-config.yaml' }, cwd: dir() })).toThrow(new RegExp(`${join(homedir(), 'no-such-cairn-config.yaml')}`));
    // Only a leading ~ of its own: a name starting with it is left alone.
    const cwd = dir();
    expect(loadConfig({ env: { CAIRN_DATA_DIR: '~data' }, cwd }).dataDir).toBe(join(cwd, '~data'));
  });

  it('refuses an audit time zone or cron that is none when the config loads, naming the variable', () => {
    expect(() => loadConfig({ env: { CAIRN_AUDIT_TZ: 'Europe/Pariss' }, cwd: dir() })).toThrow(/CAIRN_AUDIT_TZ/);
    expect(() => loadConfig({ env: { CAIRN_AUDIT_CRON: 'every day' }, cwd: dir() })).toThrow(/CAIRN_AUDIT_CRON/);
    expect(loadConfig({ env: { CAIRN_AUDIT_TZ: 'Asia/Tokyo', CAIRN_AUDIT_CRON: '30 2 * * 1-5' }, cwd: dir() }).learning).toMatchObject({ auditTimeZone: 'Asia/Tokyo', auditCron: '30 2 * * 1-5' });
  });
});

describe('config file details', () => {
  const load = (env: Record<string, string>, yaml: string) => {
    const cwd = dir();
    writeFileSync(join(cwd, 'cairn.yaml'), yaml);
    return loadConfig({ env, cwd, dotenv: false, configPath: join(cwd, 'cairn.yaml') });
  };

  it("applies every matching channels entry, a longer key's fields over a shorter one's (a workspace's back end held nowhere its channels had an entry of their own)", () => {
    const config = load({}, ['channels:', '  "slack:T1:": { backend: docker, model: cheap }', '  "slack:T1:C9": { instructions: "On-call channel.", model: smart }', ''].join('\n'));
    expect(channelOverride(config.channels, 'slack:T1:C9')).toEqual({ backend: 'docker', model: 'smart', instructions: 'On-call channel.' });
    expect(channelOverride(config.channels, 'slack:T1:C1')).toEqual({ backend: 'docker', model: 'cheap' });
  });

  it('takes YAML merge keys (<<: *anchor), the way to share settings between entries', () => {
    const config = load({}, ['channels:', '  "slack:T1:": &oncall', '    instructions: "On call."', '    backend: docker', '  "slack:T2:":', '    <<: *oncall', '    model: gpt-4.1', ''].join('\n'));
    expect(config.channels['slack:T2:']).toEqual({ instructions: 'On call.', backend: 'docker', model: 'gpt-4.1' });
  });

  it('trims a provider key mounted from a file, and names a fallback apiKeyEnv that is not set', () => {
    const config = load({ OPENAI_API_KEY: 'sk-openai-aaaaaaaa\n' }, ['model:', '  fallback:', '    - { provider: custom, baseUrl: "http://gpu-box:8000/v1", model: hermes, apiKeyEnv: VLLM_KEY }', ''].join('\n'));
    expect(config.modelProblems.join('\n')).toContain('model.fallback[0].apiKeyEnv: VLLM_KEY is not set');
    const trimmed = load({ OPENAI_API_KEY: 'sk-openai-aaaaaaaa\n' }, 'agent: {}\n');
    expect(trimmed.providers[0]?.apiKey).toBe('sk-openai-aaaaaaaa');
  });
});

describe('.env lines that are not settings', () => {
  const fromDotenv = (lines: string[]) => {
    const cwd = dir();
    writeFileSync(join(cwd, '.env'), `${lines.join('\n')}\n`);
    return loadConfig({ env: {}, cwd });
  };

  it('do not swallow the setting below them: an indented comment, a line without "="', () => {
    expect(fromDotenv(['TELEGRAM_BOT_TOKEN=123456:abcdefghijklmnop', '  # the admins', 'TELEGRAM_ADMIN_USERS=42']).platforms.telegram.adminUsers).toEqual(['42']);
    expect(fromDotenv(['OPENAI_API_KEY sk-forgot-the-equals-sign', 'TELEGRAM_ADMIN_USERS=42']).platforms.telegram.adminUsers).toEqual(['42']);
  });

  it('reads a setting indented with a tab, and a quoted value over several lines as written', () => {
    expect(fromDotenv(['CAIRN_BOT_NAME=A', '\tCAIRN_MODEL=tab']).model.model).toBe('tab');
    expect(parseDotenv(['NOTE="First line.', '  # not a comment: part of the value', 'Last line."', 'CAIRN_MODEL=after'].join('\n'))).toEqual({
      NOTE: 'First line.\n  # not a comment: part of the value\nLast line.',
      CAIRN_MODEL: 'after',
    });
  });
});

describe('config file sections', () => {
  const problemsOf = (yaml: string) => {
    const cwd = dir();
    writeFileSync(join(cwd, 'cairn.yaml'), yaml);
    try {
      loadConfig({ env: {}, cwd, dotenv: false, configPath: join(cwd, 'cairn.yaml') });
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('takes a section whose settings are all commented out as absent', () => {
    expect(problemsOf(['platforms:', '  telegram:', '    # botToken: set in .env', 'channels:', '  # "slack:T1:": { backend: docker }', ''].join('\n'))).toEqual([]);
  });

  it('reports a channels key no conversation can match (a bare channel id), instead of loading it to apply nowhere', () => {
    expect(problemsOf('channels:\n  "C0456": { backend: docker }\n').join('\n')).toMatch(/"channels\.C0456" in .*matches no conversation: a key starts with telegram:, slack:, discord: or console:/);
  });
});

describe('a fallback without its key', () => {
  it('names the fallback entry and its own variable, not CAIRN_API_KEY (the primary key)', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'cairn.yaml'), 'model:\n  fallback:\n    - provider: openrouter\n');
    const config = loadConfig({ env: { OPENAI_API_KEY: 'sk-openai-aaaaaaaa' }, cwd, dotenv: false, configPath: join(cwd, 'cairn.yaml') });
    expect(config.modelProblems).toEqual(['model.fallback[0]: OpenRouter needs an API key: set OPENROUTER_API_KEY, or give this entry apiKey or apiKeyEnv.']);
  });
});

describe('model.apiKeyEnv on the primary', () => {
  it('reads the key from the variable it names, as a fallback entry does', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'cairn.yaml'), 'model:\n  provider: custom\n  baseUrl: "http://gpu-box:8000/v1"\n  model: hermes\n  apiKeyEnv: VLLM_KEY\n');
    const config = loadConfig({ env: { VLLM_KEY: 'vllm-real-key-123' }, cwd, dotenv: false, configPath: join(cwd, 'cairn.yaml') });
    expect(config.providers[0]?.apiKey).toBe('vllm-real-key-123');
    const unset = loadConfig({ env: {}, cwd, dotenv: false, configPath: join(cwd, 'cairn.yaml') });
    expect(unset.modelProblems).toEqual(['model.apiKeyEnv: VLLM_KEY is not set; set it to the key, or name the variable that holds it.']);
  });
});
