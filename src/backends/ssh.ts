/**
 * The ssh back end (ssh2): commands run on a remote server, each session in its
 * own directory under the remote home. Key or agent authentication, the server's
 * key checked against known_hosts (an explicit opt-out exists for test machines),
 * one connection per session reused for every command and reopened if it drops.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import ssh2, { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { CairnError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { verifyHostKey, type HostKeyVerdict } from './known-hosts.js';
import { ShellEnvironment, type RunOptions, type ShellTransport, type TransportRun } from './shell-environment.js';
import { safeName, shellQuote } from './shell.js';
import type { Backend, Environment, StartOptions } from './types.js';

export interface SshBackendOptions {
  host?: string | undefined;
  port: number;
  user?: string | undefined;
  key?: string | undefined;
  passphrase?: string | undefined;
  agent?: string | undefined;
  knownHosts?: string | undefined;
  insecureIgnoreHostKey: boolean;
  workRoot: string;
  connectTimeoutMs: number;
  defaultTimeoutMs: number;
  logger: Logger;
  /** The clock a refused login's rest is measured by (tests). */
  now?: () => number;
}

/**
 * How long a login the server refused is not tried again with the same key, user and server. A key replaced on the
 * server was tried at every session start and command (each a failed login in the server's log): fail2ban and its
 * kind ban an address after about five in ten minutes, and then the new key is refused too.
 */
export const REFUSED_LOGIN_REST_MS = 10 * 60_000;

export class SshBackend implements Backend {
  readonly name = 'ssh' as const;
  /** Refused logins, shared by every environment's connection (a reconnect after a drop logs in again too). */
  private readonly logins: RefusedLogins;

  constructor(private readonly options: SshBackendOptions) {
    this.logins = new RefusedLogins(options.now ?? Date.now, options.key, options.logger);
  }

  async start(sessionId: string, start: StartOptions): Promise<Environment> {
    // The key file is read at each start: a new key put in its place is used at once, without a restart.
    const transport = new SshTransport(this.connectConfig(), this.options.logger, this.logins);
    try {
      const home = (await runToString(transport, 'cd && pwd')).trim();
      const root = this.options.workRoot.startsWith('/') ? this.options.workRoot : `${home}/${this.options.workRoot}`;
      const name = safeName(sessionId);
      const workdir = `${root}/${name}`;
      const stateDir = `${root}/.state/${name}`;
      await runToString(transport, `mkdir -p ${shellQuote(workdir)} ${shellQuote(stateDir)}`);
      return new ShellEnvironment({ backend: 'ssh', sessionId, workdir, stateDir, env: start.env, transport, defaultTimeoutMs: this.options.defaultTimeoutMs });
    } catch (error) {
      await transport.close();
      throw error;
    }
  }

  private connectConfig(): SshConnectConfig {
    const { host, user, port } = this.options;
    if (!host || !user) throw new CairnError('config', 'The ssh back end needs CAIRN_SSH_HOST and CAIRN_SSH_USER.');
    const auth: ConnectConfig = {};
    if (this.options.key) {
      try {
        auth.privateKey = readFileSync(this.options.key);
      } catch (error) {
        throw new CairnError('config', `Cannot read the ssh key ${this.options.key} (CAIRN_SSH_KEY): ${describeError(error)}`, { cause: error });
      }
      if (this.options.passphrase) auth.passphrase = this.options.passphrase;
      // ssh2 would throw its bare parse error from inside connect(), naming neither the file nor the setting.
      // `utils` through the default export: Node's ESM loader finds no named export `utils` in ssh2's CommonJS (vitest did).
      const parsed = ssh2.utils.parseKey(auth.privateKey, this.options.passphrase);
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (key instanceof Error || key?.getPrivatePEM() === null) throw unusableKey(this.options.key, key instanceof Error ? key : new Error('the file holds no private key'));
    } else if (this.options.agent) auth.agent = this.options.agent;
    else throw new CairnError('config', 'The ssh back end needs a key (CAIRN_SSH_KEY) or a running ssh agent (SSH_AUTH_SOCK).');
    const knownHostsPath = this.options.knownHosts ?? join(homedir(), '.ssh', 'known_hosts');
    return {
      host,
      port,
      username: user,
      readyTimeout: this.options.connectTimeoutMs,
      keepaliveInterval: 15_000,
      ...auth,
      knownHostsPath,
      verify: this.options.insecureIgnoreHostKey ? () => ({ ok: true }) : (key) => verifyHostKey(readKnownHosts(knownHostsPath), host, port, key),
    };
  }
}

interface SshConnectConfig extends ConnectConfig {
  host: string;
  port: number;
  knownHostsPath: string;
  verify(key: Buffer): HostKeyVerdict;
}

/** What a login sends, hashed: the same key, user and server are refused again; another key is tried at once. */
function credentialsOf(config: SshConnectConfig): string {
  const key = config.privateKey ?? `agent:${typeof config.agent === 'string' ? config.agent : ''}`;
  return createHash('sha256').update(`${config.username}@${config.host}:${config.port}\n`).update(key).digest('hex');
}

function readKnownHosts(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The last login the server refused, by what it sent (a hash of the key, user and server): the same is refused at once
 * for REFUSED_LOGIN_REST_MS, saying where the new key goes; another key (a new file in place) is tried at once.
 */
class RefusedLogins {
  private refused: { credentials: string; until: number; error: CairnError } | undefined;

  constructor(
    private readonly now: () => number,
    private readonly keyPath: string | undefined,
    private readonly logger: Logger,
  ) {}

  /** Throws while this login is resting after a refusal. */
  check(config: SshConnectConfig): void {
    const { refused } = this;
    if (!refused || refused.credentials !== credentialsOf(config) || this.now() >= refused.until) return;
    const at = new Date(refused.until).toISOString().slice(11, 16);
    const where = this.keyPath ? `put the new key in ${this.keyPath} (CAIRN_SSH_KEY; read at each start, no restart needed)` : 'add the new key to the ssh agent';
    throw new CairnError('auth', `${refused.error.message.replace(/\.$/, '')}. It is not tried again with the same key until ${at} UTC, as servers ban an address after a few refused logins: ${where}.`, { cause: refused.error, platform: 'ssh' });
  }

  /** How a login ended: a refusal is kept, a login that went through ends any. */
  settled(config: SshConnectConfig, error?: CairnError): void {
    if (!error) {
      this.refused = undefined;
      return;
    }
    if (error.code !== 'auth') return;
    this.refused = { credentials: credentialsOf(config), until: this.now() + REFUSED_LOGIN_REST_MS, error };
    this.logger.error({ host: config.host, user: config.username, err: error.message }, `ssh login refused; not tried again with the same key for ${REFUSED_LOGIN_REST_MS / 60_000} minutes`);
  }
}

/** One connection per environment, opened on first use and reopened after a drop. */
class SshTransport implements ShellTransport {
  readonly supportsStdin = true;
  private client: Promise<Client> | undefined;
  private closed = false;

  constructor(
    private readonly config: SshConnectConfig,
    private readonly logger: Logger,
    private readonly logins: RefusedLogins,
  ) {}

  async run(script: string, options: RunOptions): Promise<TransportRun> {
    let channel: ClientChannel;
    try {
      channel = await this.open(script);
    } catch (error) {
      // The connection may have dropped since its last use: reconnect once. Nothing ran yet, so retrying is safe.
      if (error instanceof CairnError && error.code !== 'network') throw error;
      this.client = undefined;
      channel = await this.open(script);
    }
    channel.on('data', options.onStdout);
    channel.stderr.on('data', options.onStderr);
    // The server sends an exit status (or signal) for every command that ended; a channel that closes
    // without one lost its connection, and the command may run on there.
    let exited = false;
    const done = new Promise<number | null>((resolve) => {
      let code: number | null = null;
      channel.on('exit', (exitCode: number | null) => {
        exited = true;
        code = typeof exitCode === 'number' ? exitCode : null;
      });
      channel.on('close', () => resolve(code));
    });
    if (options.stdin && options.stdin.length > 0) channel.write(Buffer.from(options.stdin));
    channel.end();
    return { done, abandon: () => channel.destroy(), lost: () => !exited };
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (client) (await client.catch(() => undefined))?.end();
  }

  private async open(script: string): Promise<ClientChannel> {
    if (this.closed) throw new CairnError('unavailable', 'This ssh environment was stopped.');
    const client = await (this.client ??= this.connect());
    return new Promise((resolve, reject) => {
      try {
        client.exec(`sh -c ${shellQuote(script)}`, (error, channel) => (error ? reject(new CairnError('network', `ssh exec failed: ${error.message}`, { cause: error, platform: 'ssh' })) : resolve(channel)));
      } catch (error) {
        reject(new CairnError('network', `ssh exec failed: ${describeError(error)}`, { cause: error, platform: 'ssh' }));
      }
    });
  }

  private connect(): Promise<Client> {
    const { config } = this;
    try {
      this.logins.check(config);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const client = new Client();
    let refused: HostKeyVerdict | undefined;
    const attempt = new Promise<Client>((resolve, reject) => {
      client.once('ready', () => resolve(client));
      client.once('error', (error: Error & { level?: string }) => reject(mapConnectError(error, config, refused)));
      // A server that hangs up during the handshake without a reason (a preauth process that died, a proxy with
      // nothing behind it, a DISCONNECT "by application") makes ssh2 close with no error, its readyTimeout cleared:
      // without this the start (and a shutdown waiting for it) would wait for ever. After 'ready' it changes nothing.
      client.once('close', () => reject(mapConnectError(new Error('the server closed the connection before login finished'), config, refused)));
      client.connect({
        ...config,
        hostVerifier: (key: Buffer) => {
          const verdict = config.verify(key);
          if (!verdict.ok) refused = verdict;
          return verdict.ok;
        },
      });
    });
    attempt.then(
      () => this.logins.settled(config),
      (error: unknown) => this.logins.settled(config, error as CairnError),
    );
    // Forget a dropped connection so the next command reconnects.
    client.on('close', () => {
      if (this.client === attempt) this.client = undefined;
    });
    client.on('error', (error: Error) => this.logger.debug({ host: config.host, err: error.message }, 'ssh connection error'));
    return attempt;
  }
}

function unusableKey(path: string, error: Error): CairnError {
  const fix = /no passphrase given/i.test(error.message)
    ? 'It is protected by a passphrase: set backends.ssh.passphrase in the config file, or add the key to an ssh agent and leave CAIRN_SSH_KEY unset.'
    : /passphrase/i.test(error.message)
      ? 'Check backends.ssh.passphrase in the config file.'
      : 'CAIRN_SSH_KEY must name a private key file (OpenSSH, PEM or PuTTY format), not the .pub file.';
  return new CairnError('config', `Cannot use the ssh key ${path} (CAIRN_SSH_KEY): ${error.message}. ${fix}`, { cause: error, platform: 'ssh' });
}

function mapConnectError(error: Error & { level?: string; code?: string }, config: SshConnectConfig, refused: HostKeyVerdict | undefined): CairnError {
  const where = `${config.username ?? ''}@${config.host}:${config.port}`;
  if (refused && !refused.ok) {
    const fix = `Check the server's fingerprint, then add it with \`ssh-keyscan -p ${config.port} ${config.host} >> ${config.knownHostsPath}\` (CAIRN_SSH_KNOWN_HOSTS names another file).`;
    const why = { unknown: `is not in ${config.knownHostsPath}`, mismatch: `does not match the one in ${config.knownHostsPath}: the server was reinstalled, or someone is in between`, revoked: `is marked @revoked in ${config.knownHostsPath}` }[refused.reason];
    return new CairnError('permission', `The host key of ${where} ${why}. ${refused.reason === 'unknown' ? fix : 'Refusing to connect.'}`, { cause: error, platform: 'ssh' });
  }
  if (error.level === 'client-authentication') return new CairnError('auth', `ssh login to ${where} was refused: check CAIRN_SSH_USER and CAIRN_SSH_KEY (or the agent's keys).`, { cause: error, platform: 'ssh' });
  if (error.level === 'client-timeout') return new CairnError('timeout', `ssh to ${where} timed out while connecting.`, { cause: error, platform: 'ssh', isRetryable: true });
  return new CairnError('network', `Cannot reach ${where} over ssh: ${error.message}`, { cause: error, platform: 'ssh', isRetryable: true });
}

/**
 * Runs one of the session's preparing commands (idempotent: `cd && pwd`, `mkdir -p`). A channel
 * that closes without an exit status lost its connection (the server reset it, a NAT dropped
 * it): asked once more, on a new connection, instead of failing the turn that needed a shell.
 */
async function runToString(transport: ShellTransport, script: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    let out = '';
    let err = '';
    const run = await transport.run(script, { onStdout: (chunk) => (out += Buffer.from(chunk).toString()), onStderr: (chunk) => (err += Buffer.from(chunk).toString()) });
    const code = await run.done;
    if (code === 0) return out;
    if (code === null && attempt === 1) continue;
    const why = code === null ? 'the connection closed before the command ended, twice' : `exit code ${code}`;
    throw new CairnError(code === null ? 'network' : 'tool', `Preparing the ssh session failed (${why})${err.trim() ? `: ${err.trim()}` : '.'}`, { platform: 'ssh', isRetryable: code === null });
  }
}
