/**
 * A cap on the turns running at once, across every conversation (CAIRN_MAX_TURNS_AT_ONCE). Turns in one
 * conversation already run one at a time (keyed-queue.ts), but conversations ran side by side without any
 * limit: twenty people asking at once on a Raspberry Pi or a 1 GB VPS started twenty tool loops together
 * (twenty prompts with their histories and files in memory, twenty shells on the local back end, twenty
 * requests at a cheap provider's concurrency limit), and everyone's answer came late or not at all. Past
 * the cap a turn waits for one to end, in the order they came, and its sender is told (waitingNote): a
 * wait of a minute in silence reads as Cairn being broken. A scheduled run waits too, untold (nobody sent it).
 *
 * Taken after the person's own turns elsewhere let it in (allowance.ts) and before its files are read, so a
 * waiting turn holds no model call, no file and no shell; /stop and the shutdown's deadline end its wait.
 */
import type { InboundMessage } from './message.js';
import type { RunningTurn } from './running-turns.js';

/**
 * The default cap: a team's busy minute on a server (a turn with tools takes tens of seconds, so 16 answer several
 * hundred requests an hour) and within a cheap provider's limits; a Raspberry Pi's owner sets 8 or fewer (README).
 */
export const DEFAULT_MAX_TURNS_AT_ONCE = 16;


export class TurnSlots {
  private taken = 0;
  private readonly line: { start: () => void; signal: AbortSignal }[] = [];

  /** `limit`: the most turns at once; 0 means no cap. */
  constructor(readonly limit: number) {}

  /** How many turns wait for room now. */
  get waiting(): number {
    return this.line.length;
  }

  /** How many hold room now. */
  get running(): number {
    return this.taken;
  }

  /** Whether a turn asking now must wait. */
  full(): boolean {
    return this.limit > 0 && (this.taken >= this.limit || this.line.length > 0);
  }

  /**
   * Room for one turn: resolves with its release (call it once, when the turn ends) at once when there is
   * room, else when the turns ahead made some; rejects with the signal's reason when it is aborted first.
   */
  take(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (!this.full()) return Promise.resolve(this.hold());
    return new Promise((resolve, reject) => {
      const entry = {
        signal,
        start: () => {
          signal.removeEventListener('abort', stop);
          resolve(this.hold());
        },
      };
      const stop = () => {
        const at = this.line.indexOf(entry);
        if (at >= 0) this.line.splice(at, 1);
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', stop, { once: true });
      this.line.push(entry);
    });
  }

  private hold(): () => void {
    this.taken++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.taken--;
      this.line.shift()?.start();
    };
  }
}

/**
 * What a person whose turn must wait is told, or undefined where nobody is to be told: a scheduled run, and a
 * slash command's question (its platform shows that Cairn is thinking already, and a note would take the
 * place its answer has).
 */
export function waitingNote(message: InboundMessage, slots: TurnSlots): string | undefined {
  if (message.scheduled || message.viaSlashCommand) return undefined;
  const ahead = slots.waiting === 0 ? '' : `, and ${slots.waiting} ${slots.waiting === 1 ? 'waits' : 'wait'} before yours`;
  return `Cairn is answering ${slots.running === 1 ? '1 other request' : `${slots.running} other requests`} right now${ahead}. Yours starts as soon as there is room; no need to send it again.`;
}

/** Room for the turn (`tell` says to its sender why it waits, once it is in line): the release, once there is room. */
export async function takeRoom(slots: TurnSlots, message: InboundMessage, turn: RunningTurn, signal: AbortSignal, tell: (text: string) => Promise<void>): Promise<() => void> {
  turn.waitingForRoom = slots.full();
  const note = turn.waitingForRoom ? waitingNote(message, slots) : undefined;
  const room = slots.take(signal);
  if (note === undefined) return room;
  // Stopped while the note is sent: the refusal is awaited below, not left unhandled meanwhile.
  room.catch(() => undefined);
  await tell(note);
  return room;
}

/** What /stop says of a turn stopped before it began: what it was waiting for. */
export function stoppedWhileWaiting(turn: RunningTurn): string {
  if (turn.waitingForRoom) return 'Stopped before it started: it was waiting for requests in other conversations to finish.';
  return 'Stopped before it started: it was waiting for your request in another conversation to finish.';
}
