/** Back end settings in the one config schema, and the rule that SDKs load only with their back end. */
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { channelOverride } from '../../src/config/channels.js';
import { ConfigError } from '../../src/core/errors.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cairn-backend-config-'));

describe('back end configuration', () => {
  it('defaults to local, admin-only tools, and a short list of host variables', () => {
    const config = loadConfig({ env: { PATH: '/usr/bin', HOME: '/home/me', OPENAI_API_KEY: 'sk-0123456789', GITHUB_TOKEN: 'ghp_1' }, cwd: dir(), dotenv: false });
    expect(config.backends).toMatchObject({ default: 'local', adminOnly: true, shared: false, commandTimeoutSeconds: 120, approvalTimeoutSeconds: 300, idleMinutes: 30 });
    expect(config.backendHostEnv).toEqual({ PATH: '/usr/bin', HOME: '/home/me' });
  });

  it('reads every back end from its variables, secrets included in what logs mask', () => {
    const config = loadConfig({
      env: {
        CAIRN_BACKEND: 'ssh',
        CAIRN_TOOLS_ADMIN_ONLY: 'false',
        CAIRN_SSH_HOST: 'build.example.com',
        CAIRN_SSH_PORT: '2222',
        CAIRN_SSH_USER: 'ci',
        CAIRN_SSH_KEY: '/keys/id_ed25519',
        CAIRN_SSH_KNOWN_HOSTS: '/keys/known_hosts',
        CAIRN_DOCKER_MEMORY_MB: '2048',
        CAIRN_DOCKER_CPUS: '1.5',
        MODAL_TOKEN_ID: 'ak-123',
        MODAL_TOKEN_SECRET: 'as-secret-0123456789',
        DAYTONA_API_KEY: 'dtn_secret_0123456789',
        CAIRN_BACKEND_PASS_ENV: 'PATH, LANG',
      },
      cwd: dir(),
      dotenv: false,
    });
    expect(config.backends.default).toBe('ssh');
    expect(config.backends.adminOnly).toBe(false);
    expect(config.backends.ssh).toMatchObject({ host: 'build.example.com', port: 2222, user: 'ci', key: '/keys/id_ed25519', knownHosts: '/keys/known_hosts', insecureIgnoreHostKey: false });
    expect(config.backends.docker).toMatchObject({ memoryMb: 2048, cpus: 1.5, image: 'debian:bookworm-slim' });
    expect(config.backends.passEnv).toEqual(['PATH', 'LANG']);
    expect(config.secrets).toEqual(expect.arrayContaining(['as-secret-0123456789', 'dtn_secret_0123456789']));
  });

  it('names the variable to fix', () => {
    try {
      loadConfig({ env: { CAIRN_BACKEND: 'kubernetes', CAIRN_SSH_PORT: 'twenty-two', CAIRN_TOOLS_ADMIN_ONLY: 'maybe' }, cwd: dir(), dotenv: false });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      for (const name of ['CAIRN_BACKEND', 'CAIRN_SSH_PORT', 'CAIRN_TOOLS_ADMIN_ONLY']) expect(message).toContain(name);
    }
  });

  it('picks a back end per channel from the config file', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'cairn.yaml'), ['channels:', '  "slack:T1:": { backend: docker }', '  "slack:T1:C9": { backend: modal }', 'backends:', '  docker: { image: "python:3.12-slim", mount: /srv/work }', '  env: { PIP_INDEX_URL: "https://pypi.internal/simple" }'].join('\n'));
    const config = loadConfig({ env: {}, configPath: 'cairn.yaml', cwd, dotenv: false });
    expect(channelOverride(config.channels, 'slack:T1:C2')?.backend).toBe('docker');
    expect(channelOverride(config.channels, 'slack:T1:C9:1700.1')?.backend).toBe('modal');
    expect(config.backends.docker).toMatchObject({ image: 'python:3.12-slim', mount: '/srv/work', workdir: '/workspace' });
    expect(config.backends.env).toEqual({ PIP_INDEX_URL: 'https://pypi.internal/simple' });
  });
});

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('SDKs load only with their back end', () => {
  const SDK_OWNERS: Record<string, string> = { dockerode: 'docker.ts', ssh2: 'ssh.ts', modal: 'modal.ts', '@daytonaio/sdk': 'daytona.ts' };

  it('imports each SDK in its own back end file only', () => {
    for (const path of sources('src')) {
      const text = readFileSync(path, 'utf8');
      for (const [sdk, owner] of Object.entries(SDK_OWNERS)) {
        if (new RegExp(`from ['"]${sdk.replace('/', '\\/')}['"]`).test(text)) expect(path, `${path} imports ${sdk}`).toBe(join('src', 'backends', owner));
      }
    }
  });

  it('reaches the back end files through dynamic imports alone', () => {
    const implementations = ['local', 'docker', 'ssh', 'singularity', 'modal', 'daytona'];
    for (const path of sources('src')) {
      const text = readFileSync(path, 'utf8');
      for (const name of implementations) {
        const staticImport = new RegExp(`^import (?!type )[^;]*from ['"][./]*(backends/)?${name}\\.js['"]`, 'm');
        if (path.startsWith(join('src', 'backends')) || path.startsWith(join('src', 'cli', 'backend'))) {
          expect(staticImport.test(text) && path !== join('src', 'backends', `${name}.ts`), `${path} imports ${name}.js statically`).toBe(false);
        } else if (/backends\//.test(text)) {
          expect(new RegExp(`^import (?!type )[^;]*from ['"][./]*backends/${name}\\.js['"]`, 'm').test(text), `${path} imports backends/${name}.js statically`).toBe(false);
        }
      }
    }
    expect(readFileSync(join('src', 'backends', 'factory.ts'), 'utf8')).toMatch(/await import\('\.\/modal\.js'\)/);
  });
});
