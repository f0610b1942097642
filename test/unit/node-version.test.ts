import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../scripts/node-version.mjs';

describe('the Node version check of bin/cairn.js', () => {
  it('names the version needed to someone on an older Node, and lets newer ones through', () => {
    expect(nodeVersionProblem('18.19.0')).toMatch(/Node 18\.19\.0 is too old; Cairn needs Node 20\.16 or newer/);
    expect(nodeVersionProblem('20.11.1')).toMatch(/too old/);
    for (const version of ['20.16.0', '20.18.1', '22.3.0', process.versions.node]) expect(nodeVersionProblem(version)).toBeUndefined();
  });
});
