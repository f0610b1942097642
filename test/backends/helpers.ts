/** Small helpers shared by the back end tests (kept apart from test/helpers/cairn.ts, which builds a whole Cairn). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'cairn-backend-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** PATH for processes the tests start, without anything from the test runner's environment. */
export const TEST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
