/**
 * Near-duplicate skill names (similar.ts): one procedure under the names reflection and the agent
 * gave it on different days is one skill; names with a word more or less are different skills.
 */
import { describe, expect, it } from 'vitest';
import { sameTopic, topicKey } from '../../src/skills/similar.js';

describe('skills of the same words', () => {
  it('meet whatever the order, endings and filler', () => {
    for (const name of ['deploying-to-staging', 'staging-deploy', 'deploys-staging', 'deploy-the-stage']) expect(topicKey(name)).toBe(topicKey('deploy-staging'));
    expect(sameTopic('deploying-to-staging', ['backup-db', 'deploy-staging'])).toBe('deploy-staging');
    expect(topicKey('restoring-databases')).toBe(topicKey('restore-database'));
  });

  it('differ by a word', () => {
    expect(sameTopic('staging-deploy-fix', ['deploy-staging'])).toBeUndefined();
    expect(sameTopic('git-bisect', ['git'])).toBeUndefined();
    expect(sameTopic('deploy-production', ['deploy-staging'])).toBeUndefined();
  });

  it('never match a name to itself or a name of filler only', () => {
    expect(sameTopic('deploy-staging', ['deploy-staging'])).toBeUndefined();
    expect(sameTopic('how-to', ['to-how'])).toBeUndefined();
  });
});
