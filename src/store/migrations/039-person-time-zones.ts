/**
 * `person_time_zones`: each person's time zone (by person key, so linked accounts share it). `own`: the
 * zone they set (`/timezone`, or told the model, which saved it with set_time_zone); `platform_zone`: the
 * one a platform gives for them (Slack's profile `tz`), remembered for their other accounts and for what
 * runs without a message of theirs (condensing their conversations). Before this, everyone had CAIRN_TZ:
 * "remind me tomorrow at 9" from Tokyo ran at 9 in the operator's zone, and the model asked for the zone
 * again in every conversation.
 */
export const sql = /* sql */ `
CREATE TABLE person_time_zones (
  person         TEXT PRIMARY KEY,
  own            TEXT,
  platform_zone  TEXT,
  platform       TEXT,
  updated_at     INTEGER NOT NULL
);
`;
