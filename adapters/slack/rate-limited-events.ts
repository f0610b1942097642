/**
 * Slack's `app_rate_limited` notice: a workspace sent the app more than 30,000 events in an
 * hour, and Slack holds some back. The notice is a bare Events API body with no inner
 * event (over Socket Mode, an events_api envelope without one: see socket-mode.ts).
 */
import type { App } from '@slack/bolt';
import type { Logger } from '../../src/core/logger.js';

export const EVENTS_RATE_LIMITED = 'Slack is rate-limiting the events sent to Cairn; some messages may not arrive';

/**
 * Over HTTP, Bolt cannot tell what the notice is: it leaves it unacknowledged, answers 404
 * after 3 s and logs that a listener forgot ack(). Slack counts each delivery not answered
 * 200 toward turning the app's event subscriptions off, so the notice is acknowledged at
 * once here, and the operator told what it means.
 */
export function acknowledgeRateLimitNotices(app: App, logger: Logger): void {
  const processEvent = app.processEvent.bind(app);
  app.processEvent = async (event) => {
    const body: unknown = event.body;
    if (typeof body !== 'object' || body === null || (body as { type?: unknown }).type !== 'app_rate_limited') return processEvent(event);
    logger.warn({ type: 'app_rate_limited' }, EVENTS_RATE_LIMITED);
    await event.ack();
  };
}
