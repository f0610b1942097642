/**
 * Whether a scheduled task may still run as the person who set it (the gateway asks before anything else is
 * done for the run). It may not when they have lost access (revoked, taken off an allowlist), nor when the
 * platform says their account is gone (Slack: deactivated): a person who left the company kept posting their
 * daily report for months. Only an adapter that can tell is asked; a failure to tell lets the run go on.
 */
import type { Adapter, InboundMessage } from './message.js';
import type { Logger } from './logger.js';
import type { AccessDecision } from '../access/index.js';
import { describeError } from './errors.js';

/** True when the run is skipped (its task is paused by the schedules, which hear why through `ownerGone`). */
export async function skipsScheduledRun(run: InboundMessage, decision: AccessDecision, adapter: Adapter | undefined, logger: Logger): Promise<boolean> {
  const { scheduled } = run;
  if (!scheduled) return false;
  const ids = { platform: run.platform, senderId: run.senderId, scheduleId: scheduled.id };
  if (decision !== 'allow') {
    logger.info(ids, 'scheduled task of a user without access skipped');
    return true;
  }
  if (!adapter?.accountGone) return false;
  let gone: string | undefined;
  try {
    gone = await adapter.accountGone(run.senderId);
  } catch (error) {
    logger.warn({ ...ids, err: describeError(error) }, 'could not tell whether a scheduled task’s owner still has an account; it runs');
    return false;
  }
  if (gone === undefined) return false;
  logger.info(ids, 'scheduled task of an account that is gone skipped');
  scheduled.ownerGone?.(gone);
  return true;
}
