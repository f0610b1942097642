/** A proposal an admin's Apply could not apply is settled (status "failed"): its posted buttons must come off. */
import { describe, expect, it } from 'vitest';
import { CommandRegistry } from '../../src/core/commands.js';
import type { InboundMessage } from '../../src/core/message.js';
import { ProposalStore } from '../../src/learning/proposals.js';
import { registerProposalCommands } from '../../src/learning/proposal-commands.js';
import { useSkillsFixtures } from '../skills/helpers.js';

const newSkills = useSkillsFixtures();

describe('/proposals apply on a proposal whose skill changed since', () => {
  it('reports the failure and tells the admin channel post it is settled (its Apply/Reject buttons come off)', async () => {
    const fixture = newSkills();
    const { skills, clock, db } = fixture;
    skills.writer.create({ name: 'deploying-the-app', description: 'How to deploy the app. Use for deploys.', body: '## Steps\n1. Run the deploy script.\n2. Tell the channel.\n' }, { author: 'person' });
    const proposals = new ProposalStore(db, skills);
    const proposal = proposals.add(undefined, { action: 'patch', name: 'deploying-the-app', find: 'Run the deploy script.', replace: 'Run the deploy script. Then check /healthz.', reason: 'the app was down' }, clock.now());
    // A person edits the skill before the admin presses Apply.
    skills.writer.patch({ name: 'deploying-the-app', find: 'Tell the channel.', replace: 'Tell #ops.', target: 'body' }, { author: 'person' });

    const commands = new CommandRegistry();
    const settled: { id: number; outcome: string }[] = [];
    registerProposalCommands(commands, proposals, clock, (id, outcome) => settled.push({ id, outcome }));
    const message = { platform: 'telegram', conversationId: 'telegram:-100', userId: '1', userName: 'alice', messageId: 'm1', text: `/proposals apply ${proposal.id}` } as unknown as InboundMessage;
    const answer = await commands.get('proposals')!.run({ message, args: `apply ${proposal.id}`, isAdmin: true });

    expect(String(answer)).toContain('could not be applied');
    expect(proposals.get(proposal.id)?.status).toBe('failed');
    // Settled for good: Reject now answers "already failed", so buttons left on the post only lead to an error.
    const again = await commands.get('proposals')!.run({ message, args: `reject ${proposal.id}`, isAdmin: true });
    expect(String(again)).toContain('already failed');
    expect(settled).toEqual([{ id: proposal.id, outcome: expect.stringContaining('alice') }]);
  });
});
