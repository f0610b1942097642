/** `/link` and `/unlink`: join or split one person's accounts across platforms. */
import type { CommandRegistry } from '../core/commands.js';
import type { Clock } from '../core/clock.js';
import { isCairnError } from '../core/errors.js';
import type { IdentityLinks } from './identities.js';

/** Told when the data kept under one person key now belongs to another (a link, or the key's holder unlinking), so it can follow. */
export type LinkedListener = (previous: string, person: string) => void;

/** Told when an account left a person (`/unlink`), with the person key the others keep; returns how many of the account's conversations it ended. */
export type UnlinkedListener = (account: string, person: string) => number;

export function registerLinkCommands(commands: CommandRegistry, links: IdentityLinks, clock: Clock, onLinked: LinkedListener = () => {}, onUnlinked: UnlinkedListener = () => 0): void {
  commands.register({
    name: 'link',
    usage: 'link [code]',
    description: 'link this account with your account on another platform, so your notes follow you',
    // A code typed in a group is read there at once: queued behind someone's long request, it stayed
    // unspent, and a member who sent it in a DM meanwhile became its owner.
    immediate: true,
    run: ({ message, args }) => {
      const identity = message.identity ?? message.userId;
      if (!args) {
        // Whoever redeems a code becomes one person with its owner (and reads their notes): it is given in private only.
        if (!message.isDirect) return 'I only give link codes in a direct message: anyone here could use it to become you. Send me /link there.';
        const code = links.issueCode(identity, clock.now());
        // Slack's client refuses a message starting with a `/word` that no app defines ("/link is not a valid command"): there it goes through /cairn.
        return `Your link code is ${code} (valid for 15 minutes). Send \`/link ${code}\` to me from your other account (on Slack: \`/cairn link ${code}\`).`;
      }
      try {
        // Typed where others read it, a code that is not spent now would stay theirs to redeem.
        const { person, previous } = links.redeem(args, identity, clock.now(), { seenByOthers: !message.isDirect });
        if (previous !== person) onLinked(previous, person);
        const accounts = links.identitiesOf(identity);
        return `Linked. These accounts are now one person to me: ${accounts.join(', ')}. Use /unlink to undo.`;
      } catch (error) {
        if (isCairnError(error)) return error.message;
        throw error;
      }
    },
  });
  commands.register({
    name: 'unlink',
    description: 'detach this account from your other linked accounts',
    run: ({ message, args }) => {
      // `/unlink telegram` would otherwise detach the account it came from, not the one named, and leave the person's notes with the others.
      if (args) return '/unlink takes nothing after it: it detaches the account you send it from. To detach another of your accounts, send /unlink from that one.';
      const identity = message.identity ?? message.userId;
      const person = links.personOf(identity);
      const { unlinked, heir } = links.unlink(identity);
      // The person's notes, tasks and usage stay with the accounts still linked, whichever one leaves.
      if (heir) onLinked(identity, heir);
      if (!unlinked) return 'This account is not linked to any other.';
      const ended = onUnlinked(identity, heir ?? person);
      // Its conversation's prompt held what Cairn knows of the person: it ended, and the account is told why.
      return `This account is no longer linked to your others.${ended > 0 ? ' Our conversation starts afresh, without what I know from them.' : ''}`;
    },
  });
}
