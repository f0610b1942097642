/**
 * Socket Mode that reconnects on Cairn's timer. @slack/socket-mode's own reconnection
 * waits on real timers and, when an attempt fails in a way it deems unrecoverable (a
 * revoked app token, Slack unreachable after its retries), rejects a promise nobody
 * holds: Node then ends the process, and every other platform with it. So the receiver's
 * client runs with autoReconnectEnabled off, and this reconnects after a drop (Slack asks
 * for one every few hours): after 1 s, then 2, 4 … up to 60 s while attempts fail, or while
 * each new connection is closed within a minute (the wait starts over once one holds). A
 * refused app token stops it for good, and health() says what to fix.
 */
import type { SocketModeReceiver } from '@slack/bolt';
import type { AdapterHealth } from '../../src/core/message.js';
import { CairnError, describeError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { Timer } from '../../src/core/turn-indicators.js';
import { mapSlackError, slackErrorCode } from './errors.js';

type SocketModeClient = SocketModeReceiver['client'];

/** What the client rejects with when the socket closed before Slack said hello: nothing. */
export const CLOSED_BEFORE_HELLO = 'the connection closed before Slack said hello';

/** The first connection: a socket closed before hello is a passing failure, retried like a network error. */
export async function startSocketMode(start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (error) {
    throw error ?? new CairnError('network', `Slack Socket Mode: ${CLOSED_BEFORE_HELLO}.`, { platform: 'slack', isRetryable: true });
  }
}

/**
 * @slack/socket-mode 3.1.0 reads every events_api envelope's inner event, and Slack's
 * `app_rate_limited` notice (a busy workspace past 30,000 events an hour) has none: its
 * handler throws in a promise nobody holds, and Node ends the process. Its handler is
 * wrapped so such an envelope is acknowledged and logged, and any other failure logged.
 * An event that comes once the adapter stops taking messages (a restart) is left
 * unacknowledged: Slack sends it again, to the next connection, instead of it being lost.
 */
export function guardSocketMessages(client: SocketModeClient, logger: Logger, accepting: () => boolean): void {
  const inner = client as unknown as { onWebSocketMessage(data: unknown, isBinary: boolean): Promise<void>; send(id: string, body?: unknown): Promise<void> };
  client.removeAllListeners('ws_message');
  client.on('ws_message', (data: unknown, isBinary: boolean) => {
    const envelope = readEnvelope(data, isBinary);
    if (envelope?.type === 'events_api' && !envelope.hasEvent) {
      logger.warn({ type: envelope.payloadType }, 'Slack is rate-limiting the events sent to Cairn; some messages may not arrive');
      if (envelope.id) void inner.send(envelope.id).catch(() => {});
      return;
    }
    if (envelope?.type === 'events_api' && !accepting()) {
      logger.info({ envelope: envelope.id }, 'Slack event left for Slack to send again: Cairn is stopping');
      return;
    }
    inner.onWebSocketMessage(data, isBinary).catch((error: unknown) => logger.error({ err: describeError(error) }, 'Slack Socket Mode message could not be handled'));
  });
}

/** An envelope's kind, id and whether it carries an inner event; undefined for what is no JSON envelope. */
function readEnvelope(data: unknown, isBinary: boolean): { type: unknown; id: string | undefined; payloadType: string; hasEvent: boolean } | undefined {
  if (isBinary) return undefined;
  let parsed: { type?: unknown; envelope_id?: unknown; payload?: { type?: unknown; event?: unknown } };
  try {
    parsed = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer)) as typeof parsed;
  } catch {
    return undefined;
  }
  return {
    type: parsed.type,
    id: typeof parsed.envelope_id === 'string' ? parsed.envelope_id : undefined,
    payloadType: String(parsed.payload?.type ?? 'unknown'),
    hasEvent: typeof parsed.payload?.event === 'object' && parsed.payload.event !== null,
  };
}

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 60_000;
/**
 * How long a connection must hold before the wait between attempts starts over at 1 s. Slack
 * closing each connection right after its hello (too_many_websockets, a proxy that cuts
 * websockets) would otherwise be met with a new one every second, for ever.
 */
export const STABLE_CONNECTION_MS = 60_000;

/** The wait before reconnect attempt `attempt` (1, 2, …). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
}

export class SocketModeLink {
  private state: AdapterHealth = { ok: true };
  private attempt = 0;
  /** A reconnect is waiting or under way: the client's own `disconnected` events are ours then. */
  private reconnecting = false;
  private stopped = false;
  private cancelWait: (() => void) | undefined;
  private cancelStable: (() => void) | undefined;

  constructor(
    private readonly client: SocketModeClient,
    private readonly timer: Timer,
    private readonly logger: Logger,
  ) {}

  /** Call once the first connection is up: from then on a drop is reconnected. */
  watch(): void {
    this.client.on('disconnected', () => {
      if (this.stopped || this.reconnecting) return;
      // Dropped before it held: the wait goes on growing.
      this.cancelStable?.();
      this.cancelStable = undefined;
      this.logger.info('Slack Socket Mode connection closed; reconnecting');
      this.schedule();
    });
  }

  health(): AdapterHealth {
    return this.state;
  }

  /** Before the client disconnects: its closing is not a drop. */
  stop(): void {
    this.stopped = true;
    this.cancelWait?.();
    this.cancelWait = undefined;
    this.cancelStable?.();
    this.cancelStable = undefined;
  }

  private schedule(): void {
    this.reconnecting = true;
    this.attempt += 1;
    this.cancelWait = this.timer(reconnectDelayMs(this.attempt), () => {
      this.cancelWait = undefined;
      void this.reconnect();
    });
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.client.start();
      // Stopped while the attempt waited on Slack: the client's disconnect did not reach the socket it then opened.
      if (this.stopped) return void (await this.client.disconnect().catch(() => {}));
      this.logger.info({ attempts: this.attempt }, 'Slack Socket Mode reconnected');
      this.reconnecting = false;
      this.state = { ok: true };
      this.cancelStable = this.timer(STABLE_CONNECTION_MS, () => {
        this.cancelStable = undefined;
        this.attempt = 0;
      });
    } catch (error) {
      if (this.stopped) return;
      // The client rejects with nothing when the socket closed before Slack said hello.
      const mapped = error === undefined ? undefined : mapSlackError(error);
      const reason = mapped?.message ?? CLOSED_BEFORE_HELLO;
      if (mapped?.code === 'auth') {
        this.reconnecting = false;
        this.state = { ok: false, problem: `Socket Mode stopped: Slack refused the app-level token (${slackErrorCode(mapped) ?? mapped.message}). Check SLACK_APP_TOKEN (xapp-…, with connections:write) and restart Cairn.` };
        this.logger.error({ err: describeError(mapped) }, 'Slack Socket Mode stopped: the app-level token was refused');
        return;
      }
      const nextMs = reconnectDelayMs(this.attempt + 1);
      this.state = { ok: true, problem: `Socket Mode connection lost; reconnecting (attempt ${this.attempt + 1} in ${nextMs / 1000} s): ${reason}` };
      this.logger.warn({ err: mapped ? describeError(mapped) : reason, attempt: this.attempt }, 'Slack Socket Mode reconnect failed; trying again');
      this.schedule();
    }
  }
}
