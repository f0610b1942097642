/**
 * `cairn usage` (and every command built on withCairn: `schedules list`, `learning tasks`, …) run
 * beside a running `cairn start` builds a whole Cairn on the same database. It must leave the bot's
 * pending approvals alone: only the process that owns them expires what an earlier run left.
 */
import { describe, expect, it } from 'vitest';
import { testConfig, startTestCairn, tempDir } from '../helpers/cairn.js';
import { runCli } from '../helpers/cli.js';
import { ManualTimers } from '../backends/helpers.js';
import type { ApprovalRequest } from '../../src/backends/approvals.js';

const request: ApprovalRequest = {
  sessionId: 's1',
  conversationId: 'telegram:dm:7',
  userId: 'telegram:7',
  backend: 'local',
  tool: 'terminal',
  command: 'rm -rf ~/old-build',
  danger: { rule: 'recursive-delete', reason: 'deletes a folder recursively' },
  byAdmin: false,
};

describe('read-only CLI commands beside a running Cairn', () => {
  it('`cairn usage` leaves the running bot\'s pending approval alone: the admin can still approve it', async () => {
    const dataDir = tempDir();
    const timers = new ManualTimers();
    const bot = startTestCairn(testConfig('http://127.0.0.1:9/v1', {}, dataDir), { timers });
    try {
      const posted: string[] = [];
      const pending = bot.approvals.request(request, async (text) => void posted.push(text));
      await new Promise((resolve) => setImmediate(resolve));
      const id = /\/approve (\w+)/.exec(posted[0] ?? '')?.[1] ?? '';
      expect(id).not.toBe('');

      // The operator looks at today's usage while the bot runs.
      const usage = await runCli(['usage'], { env: { CAIRN_DATA_DIR: dataDir } });
      expect(usage.code, usage.stderr).toBe(0);

      // It said "Request … is already expired (by cairn:restart)", and the turn waited for good.
      expect(bot.approvals.decide(id, true, 'telegram:1', 'telegram:dm:1')).toBe(`Approved ${id}: the command runs now.`);
      expect(await pending).toMatchObject({ status: 'approved' });
    } finally {
      await bot.close();
    }
  });
});
