/**
 * Socket Mode that reconnects on Cairn's timer. @slack/socket-mode's own reconnection
 * waits on real timers and, when an attempt fails in a way it deems unrecoverable (a
 * revoked app token, Slack unreachable after its retries), rejects a promise nobody
 * holds: Node then ends the process, and every other platform with it. So the receiver's
 * client runs with autoReconnectEnabled off, and this reconnects after a drop (Slack asks
 * for one every few hours): after 1 s, then 2, 4 … up to 60 s while attempts fail, or while
 * each new connection is closed within a minute (the wait starts over once one holds), or
 * longer where a rate limit asked for it. A refused app token, or Socket Mode turned off in
 * the app's settings (link_disabled), stops it for good, and health() says what to fix.
 *
 * Behind a company proxy the socket goes through it (the adapter gives the receiver the proxy's router): what the
 * proxy refuses is said as the proxy's (src/proxy/errors.ts), where undici's WebSocket says only that the connection
 * failed. A user name and password it refuses (407) stop the reconnecting too: they do not mend themselves, and a
 * wrong password tried again and again locks the account at many proxies.
 */
import type { SocketModeReceiver } from '@slack/bolt';
import type { AdapterHealth } from '../../src/core/message.js';
import { CairnError, describeError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { Timer } from '../../src/core/turn-indicators.js';
import { ProxyFailure } from '../../src/proxy/errors.js';
import { mapSlackError, slackErrorCode } from './errors.js';
import { EVENTS_RATE_LIMITED } from './rate-limited-events.js';

type SocketModeClient = SocketModeReceiver['client'];

/** What the client rejects with when the socket closed before Slack said hello: nothing. */
export const CLOSED_BEFORE_HELLO = 'the connection closed before Slack said hello';

/**
 * Slack's reason for closing a connection when someone turned Socket Mode off in the app's
 * settings: every new connection is closed the same way until it is on again, so reconnecting
 * is no use (the client only logs the reason, at debug level).
 */
const LINK_DISABLED = 'link_disabled';
const LINK_DISABLED_PROBLEM =
  "Socket Mode was turned off in the Slack app's settings (link_disabled). Turn it on again (api.slack.com/apps → the app → Socket Mode) and restart Cairn, or remove SLACK_APP_TOKEN and set SLACK_SIGNING_SECRET to take events over HTTP.";

/**
 * @slack/socket-mode 3.1.0 reads every events_api envelope's inner event, and Slack's
 * `app_rate_limited` notice (a busy workspace past 30,000 events an hour) has none: its
 * handler throws in a promise nobody holds, and Node ends the process. Its handler is
 * wrapped so such an envelope is acknowledged and logged, and any other failure logged.
 * An event that comes once the adapter stops taking events (shutdown, from before the turns in
 * flight drain) is left unacknowledged: Slack sends it again, to the next connection, instead of
 * it being lost.
 */
export function guardSocketMessages(client: SocketModeClient, logger: Logger, accepting: () => boolean): void {
  const inner = client as unknown as { onWebSocketMessage(data: unknown, isBinary: boolean): Promise<void>; send(id: string, body?: unknown): Promise<void> };
  client.removeAllListeners('ws_message');
  client.on('ws_message', (data: unknown, isBinary: boolean) => {
    const envelope = readEnvelope(data, isBinary);
    if (envelope?.type === 'events_api' && !envelope.hasEvent) {
      logger.warn({ type: envelope.payloadType }, EVENTS_RATE_LIMITED);
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
function readEnvelope(data: unknown, isBinary: boolean): { type: unknown; id: string | undefined; payloadType: string; hasEvent: boolean; reason: string | undefined; connections: number | undefined } | undefined {
  if (isBinary) return undefined;
  let parsed: { type?: unknown; envelope_id?: unknown; reason?: unknown; num_connections?: unknown; payload?: { type?: unknown; event?: unknown } };
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
    // A `disconnect` message says why Slack closes the connection.
    reason: typeof parsed.reason === 'string' ? parsed.reason : undefined,
    // A `hello` says how many Socket Mode connections the app has open, this one included.
    connections: typeof parsed.num_connections === 'number' ? parsed.num_connections : undefined,
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

/** What health() and the log say while Slack counts other connections of this app. */
function sharedProblem(others: number): string {
  return (
    `Slack counts ${others === 1 ? 'another Socket Mode connection' : `${others} other Socket Mode connections`} of this app: another Cairn (an old machine still running after a move?) or another program uses SLACK_APP_TOKEN. ` +
    'Slack gives each event to one connection only, so some messages are answered there, into its own database, and never reach this one. Stop the other, or give it its own Slack app. ' +
    '(Right after a dropped connection Slack may count it a while; then this clears at the next connection.)'
  );
}

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
  /** Why Slack last said it closes the connection (`disconnect` message), until a connection is up again. */
  private closingReason: string | undefined;
  /** What the proxy refused during this attempt (the websocket's own error does not say). */
  private atProxy: ProxyFailure | undefined;
  /** The last hello counted other connections of this app: another Cairn (or program) on the same app token. */
  private sharedWith: number | undefined;

  /** Create it before the first connection (after guardSocketMessages): it reads Slack's `disconnect` messages. */
  constructor(
    private readonly client: SocketModeClient,
    private readonly timer: Timer,
    private readonly logger: Logger,
  ) {
    // Read in the same emit as the client's own handler, which starts closing the socket (a close handshake, never at once): the reason is known by the time the drop is.
    client.on('ws_message', (data: unknown, isBinary: boolean) => {
      const envelope = readEnvelope(data, isBinary);
      if (envelope?.type === 'disconnect') this.closingReason = envelope.reason;
      if (envelope?.type === 'hello' && envelope.connections !== undefined) this.counted(envelope.connections);
    });
  }

  /** The proxy's router tells of each failure at the proxy here. */
  refused(failure: ProxyFailure): void {
    this.atProxy = failure;
  }

  /** The first connection: a socket closed before hello is a passing failure, retried like a network error, unless Socket Mode is off or the proxy refused it. */
  async connect(start: () => Promise<unknown>): Promise<void> {
    this.atProxy = undefined;
    try {
      await start();
      this.closingReason = undefined;
    } catch (error) {
      if (error === undefined && this.closingReason === LINK_DISABLED) throw new CairnError('permission', `Slack Socket Mode: ${LINK_DISABLED_PROBLEM}`, { platform: 'slack' });
      throw error ?? this.atProxy ?? new CairnError('network', `Slack Socket Mode: ${CLOSED_BEFORE_HELLO}.`, { platform: 'slack', isRetryable: true });
    }
  }

  /** Call once the first connection is up: from then on a drop is reconnected. */
  watch(): void {
    this.client.on('disconnected', () => {
      if (this.stopped || this.reconnecting) return;
      // Dropped before it held: the wait goes on growing.
      this.cancelStable?.();
      this.cancelStable = undefined;
      if (this.closingReason === LINK_DISABLED) return this.disabled();
      this.logger.info('Slack Socket Mode connection closed; reconnecting');
      this.schedule();
    });
  }

  health(): AdapterHealth {
    if (this.sharedWith === undefined || this.state.problem !== undefined) return this.state;
    return { ...this.state, problem: sharedProblem(this.sharedWith) };
  }

  /**
   * Slack gives each event to one of an app's connections: a second Cairn on the same app token (the old machine left
   * running after a move, a copy started for a test) silently answered some of the messages into its own database, and
   * this one never saw them. Each side learns of the other at its next hello (a connection it opens).
   */
  private counted(connections: number): void {
    const others = connections > 1 ? connections - 1 : undefined;
    if (others !== undefined && others !== this.sharedWith) this.logger.warn({ connections }, sharedProblem(others));
    this.sharedWith = others;
  }

  /** Before the client disconnects: its closing is not a drop. */
  stop(): void {
    this.stopped = true;
    this.cancelWait?.();
    this.cancelWait = undefined;
    this.cancelStable?.();
    this.cancelStable = undefined;
  }

  /** The next attempt after its wait, or after `waitMs` (what a rate limit asked) where that is longer. */
  private schedule(waitMs = 0): void {
    this.reconnecting = true;
    this.attempt += 1;
    this.cancelWait = this.timer(Math.max(waitMs, reconnectDelayMs(this.attempt)), () => {
      this.cancelWait = undefined;
      void this.reconnect();
    });
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    this.atProxy = undefined;
    try {
      await this.client.start();
      // Stopped while the attempt waited on Slack: the client's disconnect did not reach the socket it then opened.
      if (this.stopped) return void (await this.client.disconnect().catch(() => {}));
      this.logger.info({ attempts: this.attempt }, 'Slack Socket Mode reconnected');
      this.reconnecting = false;
      this.closingReason = undefined;
      this.state = { ok: true };
      this.cancelStable = this.timer(STABLE_CONNECTION_MS, () => {
        this.cancelStable = undefined;
        this.attempt = 0;
      });
    } catch (error) {
      if (this.stopped) return;
      // The client rejects with nothing when the socket closed before Slack said hello (or the proxy refused the socket).
      const mapped = error === undefined ? this.atProxy : mapSlackError(error);
      if (mapped === undefined && this.closingReason === LINK_DISABLED) return this.disabled();
      const reason = mapped?.message ?? CLOSED_BEFORE_HELLO;
      if (mapped instanceof ProxyFailure && mapped.code === 'auth') {
        this.reconnecting = false;
        this.state = { ok: false, problem: `Socket Mode stopped: ${mapped.message} Then restart Cairn.` };
        this.logger.error({ err: describeError(mapped) }, 'Slack Socket Mode stopped: the proxy refused its user name and password');
        return;
      }
      if (mapped?.code === 'auth') {
        this.reconnecting = false;
        this.state = { ok: false, problem: `Socket Mode stopped: Slack refused the app-level token (${slackErrorCode(mapped) ?? mapped.message}). Check SLACK_APP_TOKEN (xapp-…, with connections:write) and restart Cairn.` };
        this.logger.error({ err: describeError(mapped) }, 'Slack Socket Mode stopped: the app-level token was refused');
        return;
      }
      // apps.connections.open refused with a Retry-After (a 429): an attempt sooner would be refused too.
      const nextMs = Math.max(mapped?.retryAfterMs ?? 0, reconnectDelayMs(this.attempt + 1));
      this.state = { ok: true, problem: `Socket Mode connection lost; reconnecting (attempt ${this.attempt + 1} in ${nextMs / 1000} s): ${reason}` };
      this.logger.warn({ err: mapped ? describeError(mapped) : reason, attempt: this.attempt }, 'Slack Socket Mode reconnect failed; trying again');
      this.schedule(nextMs);
    }
  }

  /** Socket Mode is off in the app's settings: no attempt can connect, so none is made, and /healthz says what to change. */
  private disabled(): void {
    this.reconnecting = false;
    this.state = { ok: false, problem: `Socket Mode stopped: ${LINK_DISABLED_PROBLEM}` };
    this.logger.error('Slack Socket Mode stopped: Socket Mode was turned off in the app settings (link_disabled)');
  }
}
