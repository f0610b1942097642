/** How the gateway handled a message (what `cairn_messages_total` counts by): a fixed list, so its series can start at zero. */
export const HANDLE_OUTCOMES = [
  'dropped-self',
  'dropped-bot',
  'duplicate',
  'not-addressed',
  'pairing',
  'denied',
  'rejected',
  'command',
  'turn',
  /** Waited behind a running turn and was answered with the messages sent along with it (see coalesce.ts). */
  'joined',
  'failed',
  'stopped',
  'closed',
  /** Refused: its conversation's line (or the sender's places in it) was full (waiting-line.ts). */
  'busy',
  /** Word that a message was deleted (InboundMessage.withdrawn). */
  'deleted',
  /** Deleted by its sender before it was answered: left out of its turn, or its turn stopped (withdrawals.ts). */
  'withdrawn',
] as const;
export type HandleOutcome = (typeof HANDLE_OUTCOMES)[number];
/** The outcomes of a turn that ran (`cairn_turn_duration_seconds`; `handle` checks for the same three). */
export const TURN_OUTCOMES = ['turn', 'failed', 'stopped'] as const satisfies readonly HandleOutcome[];
