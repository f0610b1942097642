/**
 * The turn running in each conversation (the gateway's queue runs one at a time per
 * conversation), and /stop, which aborts it.
 */
import type { InboundMessage } from './message.js';
import type { AccessControl } from '../access/index.js';
import { STOPPED_BY_USER } from './agent.js';
import { CairnError } from './errors.js';
import { sourcesOf } from './coalesce.js';
import { isOrEdits } from './withdrawals.js';

/** A turn being worked on: who asked (the platform account, whose person may change while it runs), how to stop it, and whether /stop did. */
export interface RunningTurn {
  controller: AbortController;
  identity: string;
  stopped: boolean;
  /** Still waiting for the person's turn elsewhere to end (allowance.ts): nothing of it has run. */
  waiting: boolean;
  /** What it waited for was room among the turns running at once (turn-slots.ts), not the person's other turn. */
  waitingForRoom?: boolean;
  /** Its answer (or why there is none) is being sent: /stop comes too late to change it. */
  answering: boolean;
  /** The platform messages it answers (a batch's each), and those of them deleted since it began (withdrawals.ts). */
  sources: readonly string[];
  withdrawn: string[];
  /** Some of its answer shows already (a streamed draft). */
  shown: boolean;
}

export class RunningTurns {
  private readonly turns = new Map<string, RunningTurn>();

  constructor(private readonly access: Pick<AccessControl, 'personOf'>) {}

  /** Registers the turn the message starts; it waits (for the person's turn elsewhere) until said otherwise. */
  begin(message: InboundMessage, controller: AbortController): RunningTurn {
    const turn: RunningTurn = { controller, identity: message.identity ?? message.userId, stopped: false, waiting: true, answering: false, sources: sourcesOf(message), withdrawn: [], shown: false };
    this.turns.set(message.conversationId, turn);
    return turn;
  }

  /** Forgets the turn, unless another has taken its conversation's place since. */
  end(conversationId: string, turn: RunningTurn): void {
    if (this.turns.get(conversationId) === turn) this.turns.delete(conversationId);
  }

  has(conversationId: string): boolean {
    return this.turns.has(conversationId);
  }

  /** How many turns run now (not those still waiting for their person's turn elsewhere). */
  count(): number {
    return [...this.turns.values()].filter((turn) => !turn.waiting).length;
  }

  /**
   * The turn answering the platform's message `messageId`, which its sender deleted: stopped, unless its answer is
   * on its way already. Either way it notes the deletion, for what it stored to be removed once it ends.
   */
  withdraw(platform: string, messageId: string): RunningTurn | undefined {
    const turn = [...this.turns].find(([conversationId, each]) => conversationId.startsWith(`${platform}:`) && each.sources.some((id) => isOrEdits(id, messageId)))?.[1];
    if (!turn) return undefined;
    turn.withdrawn.push(messageId);
    if (!turn.answering && !turn.stopped) turn.controller.abort(new CairnError('aborted', 'the message it answers was deleted'));
    return turn;
  }

  /**
   * /stop: aborts the turn running in the message's conversation. Tool results so far stay
   * in the session, so the conversation goes on from there. Only the person who asked, or
   * an admin, may stop it: in a group, one member must not cut off another's request.
   */
  stop(message: InboundMessage, isAdmin: boolean): string {
    const turn = this.turns.get(message.conversationId);
    if (!turn) return 'Nothing is running in this conversation.';
    // Compared as people now: the account that asked may have been linked (or unlinked) since the turn began.
    const samePerson = this.access.personOf(turn.identity) === this.access.personOf(message.identity ?? message.userId);
    if (!samePerson && !isAdmin) return 'Only the person who asked, or an admin, can stop this.';
    // A platform may hold the answer a while (a rate limit): "OK, stopping." and then the answer read as a stop ignored.
    if (turn.answering) return 'Nothing to stop: the answer was already on its way.';
    turn.stopped = true;
    turn.controller.abort(new CairnError('aborted', STOPPED_BY_USER));
    return 'OK, stopping.';
  }
}
