/**
 * Members' names. Slack's events carry member ids only, so the model would see "U123" as
 * a speaker: names come from users.info (the app needs users:read) and are remembered.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';
import { mapSlackError } from './errors.js';
import { setBounded } from '../../src/core/bounded-map.js';

/** Members whose names are remembered. */
const REMEMBERED_NAMES = 5_000;

const memberInfo = z.object({
  user: z.object({ deleted: z.boolean().optional(), name: z.string().optional(), real_name: z.string().optional(), profile: z.object({ display_name: z.string().optional(), real_name: z.string().optional() }).optional() }),
});

export class MemberNames {
  private readonly names = new Map<string, Promise<string>>();

  constructor(
    private readonly client: InstanceType<typeof webApi.WebClient>,
    private readonly logger: Logger,
  ) {}

  /** The member's name; without the scope, or for an unknown member, the id stands in and is not asked for again. */
  nameOf(userId: string): Promise<string> {
    let name = this.names.get(userId);
    if (!name) {
      name = this.lookUp(userId);
      setBounded(this.names, userId, name, REMEMBERED_NAMES);
    }
    return name;
  }

  /**
   * Whether the member's account was deactivated (users.info's `deleted`), asked afresh each time: a
   * scheduled task runs at most every few minutes, and a remembered answer would miss the day they left.
   * Without users:read, or when Slack cannot be asked now, it cannot be told: false.
   */
  async isDeactivated(userId: string): Promise<boolean> {
    try {
      return memberInfo.parse(await this.client.users.info({ user: userId })).user.deleted === true;
    } catch (error) {
      this.logger.debug({ userId, err: describeError(mapSlackError(error)) }, 'whether a Slack member is deactivated could not be told');
      return false;
    }
  }

  private async lookUp(userId: string): Promise<string> {
    try {
      const { user } = memberInfo.parse(await this.client.users.info({ user: userId }));
      return user.profile?.display_name || user.real_name || user.profile?.real_name || user.name || userId;
    } catch (error) {
      const mapped = mapSlackError(error);
      // A passing failure is tried again next time; a refusal (scope, unknown member) is not.
      if (mapped.isRetryable) this.names.delete(userId);
      this.logger.debug({ userId, err: describeError(mapped) }, 'Slack member name not looked up; using the id');
      return userId;
    }
  }
}
