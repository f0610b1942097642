/** Who rejected a skill proposal and why (migration 033): kept by the store, shown, read back for reflection, and upgraded onto old rows. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { ProposalStore } from '../../src/learning/proposals.js';
import { describeProposal, rejectionLine } from '../../src/learning/proposal-commands.js';
import { rejectionsOf, REJECTIONS_TOLD } from '../../src/learning/rejections.js';
import { tempDir } from '../helpers/cairn.js';

const patch = (name: string, replace: string) => ({ action: 'patch' as const, name, find: 'Run it.', replace, reason: 'it failed' });

describe('rejection reasons in the proposals table', () => {
  it('an existing database with settled and waiting proposals upgrades: old rows read as rejected by a person, and new ones keep who and why', () => {
    const path = join(tempDir(), 'cairn.db');
    const before = openDatabase(path, { migrations: MIGRATIONS.filter((migration) => migration.version < 33) });
    const insert = before.prepare('INSERT INTO skill_proposals (task_id, action, skill, payload, reason, status, detail, created_at, decided_at) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run('patch', 'deploy', JSON.stringify(patch('deploy', 'Run it twice.')), 'it failed', 'rejected', 'rejected by a person', 1, 2);
    insert.run('patch', 'deploy', JSON.stringify(patch('deploy', 'Run it thrice.')), 'it failed', 'pending', null, 3, null);
    before.close();

    const db = openDatabase(path);
    const proposals = new ProposalStore(db, undefined);
    const old = proposals.get(1)!;
    expect(old).toMatchObject({ status: 'rejected', decidedBy: undefined, decisionNote: undefined });
    expect(rejectionLine(old)).toBe('rejected by a person');
    expect(describeProposal(old)).toMatch(/\n\(rejected by a person\)$/);

    proposals.reject(2, 4, { id: 'slack:U1', name: 'Ada' }, '  three runs is too many  ');
    expect(proposals.get(2)).toMatchObject({ status: 'rejected', decidedBy: 'slack:U1', decidedByName: 'Ada', decisionNote: 'three runs is too many' });
    expect(describeProposal(proposals.get(2)!)).toMatch(/\n\(rejected by Ada: three runs is too many\)$/);
    db.close();
  });

  it('reflection reads the newest few rejections of one skill name, not of others', () => {
    const db = openDatabase(join(tempDir(), 'cairn.db'));
    const proposals = new ProposalStore(db, undefined);
    for (let i = 0; i < REJECTIONS_TOLD + 2; i++) proposals.reject(proposals.add(undefined, patch('deploy', `Run it ${i} times.`), i).id, i, { id: 'u' }, `no ${i}`);
    proposals.reject(proposals.add(undefined, patch('backup', 'Skip it.'), 9).id, 9, { id: 'u' }, 'backups are not optional');
    proposals.add(undefined, patch('deploy', 'Waiting, not rejected.'), 10);
    const told = rejectionsOf(proposals, 'deploy') ?? '';
    expect(told.split('\n').filter((line) => line.startsWith('- #'))).toHaveLength(REJECTIONS_TOLD);
    expect(told).toContain(`Rejected: "no ${REJECTIONS_TOLD + 1}"`);
    expect(told).not.toContain('Rejected: "no 0"');
    expect(told).not.toContain('backups are not optional');
    expect(told).not.toContain('Waiting, not rejected');
    expect(rejectionsOf(proposals, 'restore')).toBeUndefined();
    db.close();
  });
});
