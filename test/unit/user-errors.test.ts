/** What a user reads when a turn fails: one sentence per kind of failure, and never an internal detail. */
import { describe, expect, it } from 'vitest';
import { CairnError } from '../../src/core/errors.js';
import { userFacingError } from '../../src/core/user-errors.js';

describe('userFacingError', () => {
  it('tells a slow model, a failing provider and an unreachable one apart', () => {
    expect(userFacingError(new CairnError('timeout', 'x did not answer in time.'))).toMatch(/didn't answer in time/);
    expect(userFacingError(new CairnError('unavailable', 'x answered 503'))).toMatch(/provider is having trouble/);
    expect(userFacingError(new CairnError('network', 'x could not be reached (connect ECONNREFUSED 10.0.0.1:8000)'))).toMatch(/can't reach my model.*cairn doctor/);
  });

  it('keeps internal details out', () => {
    const internal = userFacingError(new CairnError('network', 'x could not be reached (connect ECONNREFUSED 10.0.0.1:8000)'));
    expect(internal).not.toContain('10.0.0.1');
    expect(userFacingError(new Error('TypeError: cannot read x of undefined at /app/src/core/agent.ts'))).toMatch(/^Something went wrong on my side/);
  });

  it('passes an invalid-input message through, since it tells the user what to change', () => {
    expect(userFacingError(new CairnError('invalid_input', 'Give a number between 1 and 10.'))).toBe('Give a number between 1 and 10.');
  });
});

describe('userFacingError on a database that cannot be written', () => {
  const sqlite = (code: string) => Object.assign(new Error('database or disk is full'), { code });
  it('names a full disk and a read-only database as the operator’s to mend, not "try again"', () => {
    expect(userFacingError(sqlite('SQLITE_FULL'))).toMatch(/disk is full\. The operator needs to free some space; send your message again/);
    expect(userFacingError(sqlite('SQLITE_READONLY_DBMOVED'))).toMatch(/can't be written to.*cairn doctor/);
    expect(userFacingError(sqlite('SQLITE_BUSY'))).toMatch(/^Something went wrong on my side/);
  });
});
