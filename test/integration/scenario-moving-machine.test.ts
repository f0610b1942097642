/**
 * An operator moves Cairn to another machine, twice. First from their laptop (/home/ana/cairn/data,
 * Europe/Lisbon) to a VM (/srv/cairn/data, UTC), by copying the data folder with rsync while Cairn
 * still ran, and forgetting for a while to stop the laptop's. Then from the VM to Kubernetes, the
 * data folder on a PersistentVolume that is NFS, mounted at /data. Other absolute paths, another
 * host, another clock zone. What the new machine's start and `cairn doctor` say, what still works
 * (learned skills kept behind a link, extra skill folders, nightly backups with `--keep`), and what
 * each machine says while both answer on one Slack app. Real SQLite, the real CLI in process, the
 * real start, the real Slack adapter against the fake Slack.
 */
import { cpSync, existsSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKUP_MARK } from '../../src/cli/backup-keep.js';
import { checkDataFolder } from '../../src/cli/doctor-data-folder.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { checkMovedDataFolder } from '../../src/cli/start-checks.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { openDatabase } from '../../src/store/db.js';
import { NFS_SUPER_MAGIC } from '../../src/store/file-system.js';
import { ManualTimers } from '../backends/helpers.js';
import { ManualTimers as TimerQueue } from '../helpers/manual-timers.js';
import { startFakeSlackApi } from '../fakes/slack-api.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';
import { SlackAdapter } from '../../adapters/slack/index.js';
import { STABLE_CONNECTION_MS } from '../../adapters/slack/socket-mode.js';
import { startTestCairn, tempDir, testConfig } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { keepOperatorVariables, operatorCli } from '../helpers/operator-folder.js';

const rig = useFakeModelRig();
keepOperatorVariables();
const cli = operatorCli(rig);

const LAPTOP = 'ana-laptop (pid namespace 4026531836)';
const NOW = Date.UTC(2026, 11, 3, 9);

let running: RunningCairn | undefined;
afterEach(async () => {
  await running?.stop().catch(() => undefined);
  running = undefined;
});

/** A start's log lines at warn and above, as the operator reads them in `journalctl` or `kubectl logs`. */
function logged() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { logger, warnings: () => lines.filter((line) => (line.level as number) >= 40).map((line) => String(line.msg)) };
}

/** A data folder as rsync brings it from the laptop while its Cairn ran: the laptop's lease in the database, last renewed `ago` ms before. */
function copiedWhileRunning(ago: number): string {
  const dataDir = tempDir();
  const db = openDatabase(join(dataDir, 'cairn.db'));
  db.prepare("INSERT INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'laptop', 4242, ?, ?, ?)").run(LAPTOP, NOW - 86_400_000, NOW - ago);
  db.close();
  return dataDir;
}

async function startOn(dataDir: string, env: Record<string, string> = {}) {
  const { logger, warnings } = logged();
  const clock = new ManualClock(NOW);
  const slept: number[] = [];
  running = await startCairn(testConfig(rig.server.url, { CAIRN_HTTP_PORT: '0', ...env }, dataDir), {
    logger,
    host: '127.0.0.1',
    clock,
    timers: new ManualTimers(),
    sleep: async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
  });
  return { warnings, slept };
}

describe('moving Cairn to another machine', () => {
  it('the folder copied with rsync while the laptop ran: the VM takes the data folder over, saying the laptop may still run and what to do', async () => {
    // Copied and started at once: the laptop's lease, 5 s old, is waited for; copied an hour ago, it is taken at once.
    for (const ago of [5_000, 3_600_000]) {
      const { warnings, slept } = await startOn(copiedWhileRunning(ago));
      expect(slept.reduce((a, b) => a + b, 0)).toBe(Math.max(0, 30_000 - ago));
      const said = warnings().join('\n');
      expect(said).toContain('another machine');
      // What to do about a Cairn still running there, and about a copy of a running database.
      expect(said).toMatch(/stop it/);
      expect(said).toMatch(/`cairn backup`/);
      expect(said).toMatch(/miss its last writes/);
      await running?.stop();
      running = undefined;
    }
  });

  it('the learned skills were behind a link to a laptop path: the VM refuses to start without them, naming the link and what to do', async () => {
    const dataDir = tempDir();
    symlinkSync('/home/ana/team-skills', join(dataDir, 'skills'));
    await expect(startOn(dataDir)).rejects.toThrow(/skills is a link to \/home\/ana\/team-skills, which is not there/);
    // doctor says the same, as a ✗.
    const lines = await cli(dataDir, 'doctor');
    expect(lines.find((line) => line.startsWith('✗ skills:'))).toMatch(/link to \/home\/ana\/team-skills, which is not there/);
  });

  it('CAIRN_SKILLS_DIRS still names a laptop folder: the start says its skills are missing; doctor marks it', async () => {
    const dataDir = tempDir();
    const { warnings } = await startOn(dataDir, { CAIRN_SKILLS_DIRS: '/home/ana/company-skills' });
    expect(warnings().join('\n')).toContain('/home/ana/company-skills');
    await running?.stop();
    running = undefined;
    process.env.CAIRN_SKILLS_DIRS = '/home/ana/company-skills';
    try {
      const lines = await cli(dataDir, 'doctor');
      expect(lines.find((line) => line.startsWith('✗ skills:'))).toContain('/home/ana/company-skills');
    } finally {
      delete process.env.CAIRN_SKILLS_DIRS;
    }
  });

  it("the laptop's nightly backups came along in data/backups: the VM's `cairn backup --keep 2` counts them as its own", async () => {
    const laptop = join(tempDir(), 'home', 'ana', 'cairn', 'data');
    mkdirSync(laptop, { recursive: true });
    openDatabase(join(laptop, 'cairn.db')).close();
    await cli(laptop, 'backup');
    await cli(laptop, 'backup');
    // rsync -a to the VM; the laptop's folder is not there any more (another machine).
    const vm = join(tempDir(), 'srv', 'cairn', 'data');
    mkdirSync(join(vm, '..'), { recursive: true });
    cpSync(laptop, vm, { recursive: true });
    renameSync(laptop, join(tempDir(), 'gone'));
    const night = await cli(vm, 'backup', '--keep', '2');
    expect(night.at(-1)).toMatch(/^Removed 1 older backup, keeping the newest 2: /);
    // A backup marked with a data folder that is here (another Cairn's, put beside them) stays that one's.
    const otherCairn = tempDir();
    openDatabase(join(otherCairn, 'cairn.db')).close();
    const other = (await cli(otherCairn, 'backup', '--out', join(vm, 'backups', 'other-cairn')))[0];
    expect(other).toMatch(/^Backed up to /);
    const next = await cli(vm, 'backup', '--keep', '1');
    expect(next.at(-1)).toMatch(/^Removed 2 older backups, keeping the newest 1: /);
    expect(existsSync(join(vm, 'backups', 'other-cairn', BACKUP_MARK))).toBe(true);
  });

  it('the laptop left running on the same Slack app: the VM says at once that Slack counts another connection; the laptop says so at its next connection', async () => {
    const slack = await startFakeSlackApi();
    const machines: { adapter: SlackAdapter; timers: TimerQueue; close: () => Promise<void> }[] = [];
    const machine = async () => {
      const http = new HttpServer();
      const cairn = startTestCairn(testConfig(rig.server.url, { SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: slack.url, SLACK_ALLOWED_USERS: 'U1' }));
      const timers = new TimerQueue();
      const adapter = new SlackAdapter({ config: cairn.config, http, logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: timers.timer });
      cairn.gateway.attach(adapter);
      await adapter.start(cairn.gateway.receive);
      const one = { adapter, timers, close: async () => void (await adapter.stop(), await cairn.close(), await http.close()) };
      machines.push(one);
      return one;
    };
    try {
      const laptop = await machine();
      expect(laptop.adapter.health()).toEqual({ ok: true });
      const vm = await machine();
      expect(vm.adapter.health().problem).toMatch(/^Slack counts another Socket Mode connection of this app: another Cairn \(an old machine still running after a move\?\)/);
      // Slack refreshes the connections (every few hours); the VM's is back first, then the laptop's hello counts the VM's.
      slack.askToReconnect();
      while (slack.sockets() > 0) await new Promise((resolve) => setImmediate(resolve));
      (await vm.timers.next(1_000)).fire();
      while (slack.sockets() < 1) await new Promise((resolve) => setImmediate(resolve));
      (await laptop.timers.next(1_000)).fire();
      while (slack.sockets() < 2) await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(laptop.adapter.health().problem).toMatch(/^Slack counts another Socket Mode connection/);
      // The operator stops the laptop; the VM's next connection (this one held a minute) is the only one, and its health clears.
      await machines.shift()?.close();
      (await vm.timers.next(STABLE_CONNECTION_MS)).fire();
      slack.askToReconnect();
      while (slack.sockets() > 0) await new Promise((resolve) => setImmediate(resolve));
      (await vm.timers.next(1_000)).fire();
      while (slack.sockets() < 1) await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(vm.adapter.health()).toEqual({ ok: true });
    } finally {
      for (const one of machines) await one.close();
      await slack.close();
    }
  });

  it('the VM moved to Kubernetes with /data on NFS: doctor marks it and says what to do', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'cairn.db'), '');
    const config = testConfig(rig.server.url, {}, dataDir);
    const result = checkDataFolder(config, () => ({ free: 8e9, total: 10e9, type: NFS_SUPER_MAGIC }));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/NFS/);
    expect(result.detail).toMatch(/ReadWriteOnce/);
    // The mark is for network file systems only: a local disk is fine.
    expect(checkDataFolder(config, () => ({ free: 8e9, total: 10e9, type: 0xef53 })).ok).toBe(true);
    // The start says the same in its log (checkMovedDataFolder runs first in startCairn).
    const warned: string[] = [];
    const logger = createLogger({ level: 'warn', format: 'json', destination: { write: (line: string) => void warned.push(String((JSON.parse(line) as { msg: string }).msg)) } });
    checkMovedDataFolder(config, logger, () => ({ type: NFS_SUPER_MAGIC }));
    expect(warned).toEqual([expect.stringMatching(/ is on NFS, a network file system: .* replicas 1, strategy Recreate/)]);
  });
});
