/**
 * Long polling that outlives a conflict. grammY ends its polling loop on a 409, when
 * another process polls with the same token (the old instance during a redeploy, a second
 * Cairn): that passes, so polling starts again every 30 s. A webhook set for the bot is
 * another instance's way in (production in webhook mode): grammY's start would delete it and
 * take its updates, so polling waits, checking every 30 s, and the adapter's health names it;
 * while Telegram cannot be asked (the network, a 5xx), polling waits for the answer too.
 * Anything else that ends polling (a revoked token, 401) is for good, and the health says so.
 */
import type { Bot, PollingOptions } from 'grammy';
import type { AdapterHealth } from '../../src/core/message.js';
import { CairnError, describeError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { Timer } from '../../src/core/turn-indicators.js';
import { ProxyFailure } from '../../src/proxy/errors.js';
import { mapTelegramError } from './errors.js';

/** How long to wait before polling again while another process polls with the same token. */
export const CONFLICT_RETRY_MS = 30_000;
/** How soon to ask again whether a webhook is set, when Telegram could not be asked (as grammY polls again after a failure). */
export const ASK_AGAIN_MS = 3_000;

export class LongPolling {
  private stopped = false;
  /** Ends a wait between polling attempts (on stop). */
  private wake: (() => void) | undefined;
  private state: AdapterHealth = { ok: true };
  private running: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  /** getWebhookInfo failed last time: the failure was logged already. */
  private asking = false;
  /** The proxy refused the user name and password: polling ended, and only a restart begins it again. */
  private halted = false;

  constructor(
    private readonly bot: Bot,
    private readonly options: PollingOptions,
    private readonly timer: Timer,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  /** Polling works (a getUpdates answered): a conflict is over. */
  working(): void {
    if (this.state.problem && !this.halted) this.state = { ok: true };
  }

  /**
   * A getUpdates failed. grammY tries again every 3 s, for ever; watchPolling logs it. What the company proxy refuses is
   * said in the health too, since nothing on Telegram's side will end it: its policy (403) while it lasts, and a user
   * name and password it refuses (407) as the end of polling, since they do not mend themselves and a wrong password
   * tried every 3 s locks the account at many proxies. Cairn is restarted once they are fixed.
   */
  failing(error: CairnError): void {
    if (!(error instanceof ProxyFailure) || this.stopped || this.halted) return;
    if (error.code !== 'auth') {
      this.state = { ok: true, problem: `Long polling fails, retrying every 3 s: ${error.message}` };
      return;
    }
    this.halted = true;
    this.state = { ok: false, problem: `Long polling stopped: ${error.message} Then restart Cairn.` };
    this.logger.error({ err: describeError(error) }, 'Telegram long polling stopped: the proxy refused its user name and password');
    void this.bot.stop().catch(() => {});
  }

  health(): AdapterHealth {
    return this.state;
  }

  /** False once stop() began: an update still handed over came after the offset grammY's stop confirmed, and Telegram sends it again. */
  taking(): boolean {
    return !this.stopped;
  }

  /** Ends polling; a second call (the adapter's stop() after stopTaking()) waits for the same confirming getUpdates. */
  stop(): Promise<void> {
    return (this.stopping ??= this.end());
  }

  private async end(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (this.bot.isRunning()) await this.bot.stop();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const webhook = await this.webhookSet();
      // A stop that came while the question was out: bot.start() now would poll on for good, and stop() wait for it.
      if (this.stopped) return;
      if (webhook instanceof CairnError) {
        // grammY's start deletes any webhook, retrying until it can: polling without the answer could take
        // production's webhook away once Telegram is back. A refusal that lasts (a revoked token) starts polling, which says so.
        const again = Math.max(ASK_AGAIN_MS, webhook.retryAfterMs ?? 0);
        this.state = { ok: true, problem: `Telegram did not say whether a webhook is set for this bot (${webhook.message}): polling starts once it does; asking again in ${again / 1000} s.` };
        if (!this.asking) this.logger.warn({ err: describeError(webhook) }, 'Telegram getWebhookInfo failed; polling waits for its answer');
        this.asking = true;
        await this.pause(again);
        continue;
      }
      this.asking = false;
      if (webhook) {
        // The host only: a webhook's path is often its secret (the bot token, or a random one), and /healthz is open to whoever reaches the port.
        const host = webhookHost(webhook);
        this.state = { ok: true, problem: `A webhook is set for this bot (at ${host}): another instance receives its updates there, so this one does not poll (it checks again every 30 s). To poll here, delete the webhook (the Bot API's deleteWebhook), or set TELEGRAM_WEBHOOK_URL to receive them by webhook.` };
        this.logger.warn({ webhookHost: host }, 'A Telegram webhook is set for this bot token; not polling, checking again in 30 s');
        await this.pause(CONFLICT_RETRY_MS);
        continue;
      }
      try {
        await this.bot.start(this.options);
        return;
      } catch (error) {
        if (this.stopped) return;
        const mapped = mapTelegramError(error);
        if (mapped.status !== 409) {
          this.state = { ok: false, problem: `Long polling stopped: ${mapped.message}` };
          this.logger.error({ err: describeError(mapped) }, 'Telegram long polling stopped');
          return;
        }
        this.state = { ok: true, problem: 'Another process polls Telegram with this bot token (an instance still running, or a webhook): Cairn tries again every 30 s. Run one instance per bot token.' };
        this.logger.warn({ err: describeError(mapped) }, 'Another process polls Telegram with this bot token; polling again in 30 s');
        await this.pause(CONFLICT_RETRY_MS);
      }
    }
  }

  /**
   * The webhook's address, when one is set; '' when none is, or the question is refused for good (polling then says what
   * is wrong); the failure when it may pass (the network, Telegram's 5xx or 429).
   */
  private async webhookSet(): Promise<string | CairnError> {
    try {
      return (await this.bot.api.getWebhookInfo()).url ?? '';
    } catch (error) {
      const mapped = mapTelegramError(error);
      return mapped.isRetryable ? mapped : '';
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.wake = undefined;
        resolve();
      };
      const cancel = this.timer(ms, done);
      this.wake = () => {
        cancel();
        done();
      };
    });
  }
}

/** The scheme and host of a webhook's address, without its path and query. */
export function webhookHost(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an address Telegram reports';
  }
}
