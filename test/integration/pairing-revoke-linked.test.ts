/**
 * `cairn pairing revoke` of one account of a person linked across platforms: "Revoked" alone told the
 * operator the person was out, while the same person went on from the linked accounts, with their
 * notes and tasks. Slack accounts are named `slack:<workspace>:<user>`, while revoke takes the user id.
 * A link code the account gave out just before stayed valid: whoever redeemed it became that person.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentityLinks } from '../../src/access/identities.js';
import { AccessControl } from '../../src/access/index.js';
import { loadConfig } from '../../src/config/load.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { tempDir } from '../helpers/cairn.js';
import { runCairnInProcess, useCairnDataDir } from '../helpers/cli-in-process.js';

let dataDir = '';
beforeEach(() => {
  dataDir = tempDir();
});
useCairnDataDir(() => dataDir);
afterEach(() => {
  process.exitCode = undefined;
});

/** Pairs these accounts, then links the `link` pairs (the first issues the code, the second redeems it). */
function setUp(pairs: [platform: string, userId: string][], links: [issuer: string, redeemer: string][]): void {
  const db = openDatabase(databasePath(dataDir));
  try {
    const access = new AccessControl(db, loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, dotenv: false, cwd: dataDir }).platforms);
    for (const [platform, userId] of pairs) access.pairing.approve(access.pairing.request(platform, userId, 'Bo', Date.now()).code, 'cli:test', Date.now());
    // A second apart, as people link them: the accounts are listed in the order they joined.
    links.forEach(([issuer, redeemer], index) => {
      const now = Date.now() + index * 1000;
      access.links.redeem(access.links.issueCode(issuer, now), redeemer, now);
    });
  } finally {
    db.close();
  }
}

describe('cairn pairing revoke of a linked account', () => {
  it('names the accounts the same person still reaches Cairn from, a Slack account by its user id', async () => {
    setUp([['slack', 'U1'], ['telegram', '555']], [['slack:T1:U1', 'telegram:555'], ['slack:T1:U1', 'discord:77']]);
    expect(await runCairnInProcess('pairing', 'revoke', 'slack', 'U1')).toEqual([
      'Revoked slack user U1. It is linked with telegram:555, discord:77, which still reach Cairn as the same person, with their notes and tasks: take them out too to shut the person out.',
    ]);
    expect(await runCairnInProcess('pairing', 'revoke', 'telegram', '555')).toEqual([
      'Revoked telegram user 555. It is linked with slack:T1:U1, discord:77, which still reach Cairn as the same person, with their notes and tasks: take them out too to shut the person out.',
    ]);
  });

  it('says nothing of links for an account linked to no one, nor for another id ending in the same digits', async () => {
    setUp([['telegram', '555'], ['telegram', '1555']], [['telegram:1555', 'discord:77']]);
    expect(await runCairnInProcess('pairing', 'revoke', 'telegram', '555')).toEqual(['Revoked telegram user 555.']);
    expect(await runCairnInProcess('pairing', 'revoke', 'telegram', '1555')).toEqual([
      'Revoked telegram user 1555. It is linked with discord:77, which still reaches Cairn as the same person, with their notes and tasks: take it out too to shut the person out.',
    ]);
  });

  it("spends the link codes the account gave out, so no one becomes the person with one after it", async () => {
    setUp([['telegram', '555'], ['telegram', '1555']], []);
    const db = openDatabase(databasePath(dataDir));
    const links = new IdentityLinks(db);
    const revoked = links.issueCode('telegram:555', Date.now());
    const other = links.issueCode('telegram:1555', Date.now());
    expect(await runCairnInProcess('pairing', 'revoke', 'telegram', '555')).toEqual(['Revoked telegram user 555.']);
    expect(() => links.redeem(revoked, 'discord:66', Date.now())).toThrow('That link code is unknown or expired.');
    expect(links.redeem(other, 'discord:77', Date.now())).toEqual({ person: 'telegram:1555', previous: 'discord:77' });
    db.close();
  });
});
