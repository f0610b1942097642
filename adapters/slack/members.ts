/**
 * Members' names. Slack's events carry member ids only, so the model would see "U123" as
 * a speaker: names come from users.info (the app needs users:read) and are remembered, with
 * the member's time zone from their profile (`tz`), which the core uses unless they set their own, and the
 * language their Slack is set to (`locale`, given only when asked with include_locale).
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.js';
import { describeError } from '../../src/core/errors.js';
import { mapSlackError } from './errors.js';
import { setBounded } from '../../src/core/bounded-map.js';
import type { SenderDetails } from '../../src/core/message.js';

/** Members whose names are remembered. */
const REMEMBERED_NAMES = 5_000;

const memberInfo = z.object({
  user: z.object({ deleted: z.boolean().optional(), name: z.string().optional(), real_name: z.string().optional(), tz: z.string().optional(), locale: z.string().optional(), profile: z.object({ display_name: z.string().optional(), real_name: z.string().optional() }).optional() }),
});

/** Pages of a channel's members read to find one (1,000 each): past them, whether they are in it is not told. */
const MEMBER_PAGES = 10;

const channelMembers = z.object({ members: z.array(z.string()), response_metadata: z.object({ next_cursor: z.string().optional() }).optional() });

export class MemberNames {
  private readonly names = new Map<string, Promise<SenderDetails>>();

  constructor(
    private readonly client: InstanceType<typeof webApi.WebClient>,
    private readonly logger: Logger,
  ) {}

  /** The member's name; without the scope, or for an unknown member, the id stands in and is not asked for again. */
  async nameOf(userId: string): Promise<string> {
    return (await this.detailsOf(userId)).name;
  }

  /** The member's name, their profile's time zone and their language setting (each absent without the scope, or when Slack gives none). */
  detailsOf(userId: string): Promise<SenderDetails> {
    let details = this.names.get(userId);
    if (!details) {
      details = this.lookUp(userId);
      setBounded(this.names, userId, details, REMEMBERED_NAMES);
    }
    return details;
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

  /**
   * Whether the member is still in the channel (conversations.members, with channels:read or groups:read):
   * false when every page was read without them; undefined when it cannot be told (no scope, Slack not
   * answering, a channel of more than MEMBER_PAGES pages), so a scheduled task there runs. Asked afresh.
   */
  async isInChannel(channel: string, userId: string): Promise<boolean | undefined> {
    let cursor: string | undefined;
    try {
      for (let page = 0; page < MEMBER_PAGES; page++) {
        const listed = channelMembers.parse(await this.client.conversations.members({ channel, limit: 1000, ...(cursor ? { cursor } : {}) }));
        if (listed.members.includes(userId)) return true;
        cursor = listed.response_metadata?.next_cursor || undefined;
        if (!cursor) return false;
      }
    } catch (error) {
      this.logger.debug({ channel, userId, err: describeError(mapSlackError(error)) }, 'whether a Slack member is still in the channel could not be told');
    }
    return undefined;
  }

  private async lookUp(userId: string): Promise<SenderDetails> {
    try {
      const { user } = memberInfo.parse(await this.client.users.info({ user: userId, include_locale: true }));
      const name = user.profile?.display_name || user.real_name || user.profile?.real_name || user.name || userId;
      return { name, ...(user.tz ? { timeZone: user.tz } : {}), ...(user.locale ? { language: user.locale } : {}) };
    } catch (error) {
      const mapped = mapSlackError(error);
      // A passing failure is tried again next time; a refusal (scope, unknown member) is not.
      if (mapped.isRetryable) this.names.delete(userId);
      this.logger.debug({ userId, err: describeError(mapped) }, 'Slack member name not looked up; using the id');
      return { name: userId };
    }
  }
}
