/**
 * The Discord gateway connection: logging in (its REST part retried like any call), waiting
 * for the ready event within a deadline, and what the connection does afterwards. discord.js
 * reconnects on its own and says little: a gateway it cannot reach at all (a firewall or proxy
 * that lets HTTPS through but not websockets) is retried every half second in silence, so the
 * start would hang with nothing in the log. A drop later is logged, and shown in health().
 * A login Discord refuses at the gateway (a bad token, the Message Content intent off) fails
 * the start saying what to fix: discord.js says only "Used disallowed intents".
 */
import { Events, type Client } from 'discord.js';
import type { AdapterHealth } from '../../src/core/message.js';
import { CairnError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { Timer } from '../../src/core/turn-indicators.js';
import { closeReason, mapDiscordError } from './errors.js';
import { PLATFORM } from './normalize.js';

/** How long the start waits for the gateway's ready event after logging in. */
export const READY_DEADLINE_MS = 60_000;

export class DiscordGateway {
  private state: AdapterHealth = { ok: true };
  /** The close code after which discord.js gave up on the connection (retrying is useless), if it did. */
  private closedWith: number | undefined;
  /** close() was called: the connection ends on purpose. */
  private closing = false;

  constructor(
    private readonly client: Client,
    private readonly timer: Timer,
    private readonly logger: Logger,
  ) {}

  health(): AdapterHealth {
    return this.state;
  }

  /** Logs in and resolves once the gateway is ready; throws a CairnError saying why not. */
  async connect(token: string, call: <T>(operation: () => Promise<T>) => Promise<T>): Promise<void> {
    this.watch();
    const ready = new Promise<void>((resolve) => this.client.once(Events.ClientReady, () => resolve()));
    // login() itself waits for the gateway's connection, so the deadline covers it whole.
    const loggedIn = (async () => {
      try {
        await call(() => this.client.login(token));
      } catch (error) {
        throw this.loginFailure(error);
      }
      await ready;
    })();
    let cancel = () => {};
    const late = new Promise<never>((_, reject) => {
      cancel = this.timer(READY_DEADLINE_MS, () =>
        reject(
          new CairnError('network', `Discord's gateway (a websocket) could not be reached in ${READY_DEADLINE_MS / 1000} s, though its REST API could: check that a firewall or proxy lets websockets to gateway.discord.gg through.`, { platform: PLATFORM }),
        ),
      );
    });
    try {
      await Promise.race([loggedIn, late]);
    } finally {
      cancel();
      // Past the deadline the login is abandoned (close() ends it); its failure then is no news.
      loggedIn.catch(() => {});
    }
  }

  /**
   * Closes the connection. @discordjs/ws takes a connecting socket's error listener away when
   * it is destroyed, so a handshake that fails afterwards (an unreachable gateway) would throw
   * in the process and end it: each socket keeps a listener that lets that pass.
   */
  async close(): Promise<void> {
    // discord.js reports its own close as a drop it reconnects from: that is no news.
    this.closing = true;
    for (const socket of shardSockets(this.client)) socket.on('error', () => {});
    await this.client.destroy();
  }

  /**
   * Why the login failed. The gateway's close code, when it closed for good, says what to fix
   * (its ShardDisconnect comes before login() rejects); anything else is mapped as any failure.
   */
  private loginFailure(error: unknown): CairnError {
    const code = this.closedWith;
    if (code === undefined) return mapDiscordError(error);
    return new CairnError(code === 4004 ? 'auth' : 'permission', `Discord refused the gateway connection (${code}): ${closeReason(code)}`, { platform: PLATFORM, cause: error });
  }

  private watch(): void {
    this.client.on(Events.ShardDisconnect, ({ code }) => {
      this.closedWith = code;
      this.state = { ok: false, problem: `Discord closed the gateway connection for good (${code}): ${closeReason(code)}` };
      this.logger.error({ code }, 'Discord gateway connection closed for good');
    });
    this.client.on(Events.ShardReconnecting, () => {
      if (this.closedWith !== undefined || this.closing) return;
      // Messages sent meanwhile arrive once the connection resumes.
      if (!this.state.problem) this.logger.warn('Discord gateway connection lost; reconnecting');
      this.state = { ok: true, problem: 'Discord gateway connection lost; reconnecting' };
    });
    const back = () => {
      if (this.closedWith !== undefined || !this.state.problem) return;
      this.state = { ok: true };
      this.logger.info('Discord gateway connection is back');
    };
    this.client.on(Events.ShardResume, back);
    this.client.on(Events.ShardReady, back);
  }
}

interface Socket {
  on(event: 'error', listener: () => void): unknown;
}

/** The websockets of the client's shards (discord.js keeps them inside; none before login). */
function shardSockets(client: Client): Socket[] {
  const internals = client.ws as unknown as { _ws?: { strategy?: { shards?: Map<number, { connection?: Partial<Socket> | null }> } } | null };
  const shards = internals._ws?.strategy?.shards;
  return [...(shards?.values() ?? [])].map((shard) => shard.connection).filter((socket): socket is Socket => typeof socket?.on === 'function');
}
