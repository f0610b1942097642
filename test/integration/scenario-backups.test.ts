/**
 * An operator's backups over months, with Cairn running: a nightly `cairn backup` from cron (to the
 * data folder's backups, and to a mounted disk with --out), two runs of the schedule overlapping on
 * one dated folder, a backup killed midway by a reboot, a copy damaged on its way, then restore drills:
 * into a scratch data folder, and into production after a bad day while a `cairn chat` is still open.
 * Each backup restored is whole, and the conversation, notes, skill versions and schedules go on.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNFINISHED_MARK, restoreDataDir } from '../../src/cli/restore.js';
import { tempDir } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { keepOperatorVariables, operatorCli, startOnFolder } from '../helpers/operator-folder.js';

const rig = useFakeModelRig();
keepOperatorVariables();
const start = (dataDir: string, at: number) => startOnFolder(rig, dataDir, at);
/** `cairn …` on `dataDir`, as cron or the operator runs it beside the running Cairn. */
const cli = operatorCli(rig);

async function operatorView(dataDir: string) {
  return {
    notes: await cli(dataDir, 'memory', 'list', '--user', 'telegram:1'),
    schedules: await cli(dataDir, 'schedules', 'list'),
    skill: await cli(dataDir, 'skills', 'history', 'brewing-tea'),
  };
}

/** The pid of a process that has ended: a backup killed by a reboot. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

describe('an operator backs Cairn up from cron for months and drills restores', () => {
  it('keeps every backup whole, refuses the unfinished and the damaged ones, and the restored Cairn goes on', async () => {
    const dataDir = tempDir();
    const now = Date.now();
    const prod = start(dataDir, now);
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: 'Ana drinks green tea every morning.' } }] }, { text: 'Noted.' });
    await prod.cairn.gateway.receive(prod.dm('remember I drink green tea every morning', 'a1'));
    rig.server.enqueue(
      { toolCalls: [{ name: 'skill_create', arguments: { name: 'brewing-tea', description: 'How to brew green tea well.', body: '## Steps\n\n1. Heat water to 80C.\n' } }] },
      { text: 'Saved a skill.' },
    );
    await prod.cairn.gateway.receive(prod.dm('write down how to brew tea as a skill', 'a2'));
    rig.server.enqueue({ toolCalls: [{ name: 'skill_patch', arguments: { name: 'brewing-tea', find: '80C', replace: '75C', reason: 'gentler' } }] }, { text: 'Patched.' });
    await prod.cairn.gateway.receive(prod.dm('a bit cooler, please', 'a3'));
    rig.server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind Ana to buy tea.', cron: '0 9 * * *' } }] }, { text: 'Scheduled.' });
    await prod.cairn.gateway.receive(prod.dm('remind me every day at 9 to buy tea', 'a4'));
    expect(prod.telegram.texts()).toEqual(['Noted.', 'Saved a skill.', 'Patched.', 'Scheduled.']);

    // Night 1: cron's `npx cairn backup`, into the data folder's backups, where a backup killed
    // by a reboot left its half copy (as large as the database, under a name no backup reuses).
    const halfCopy = join(dataDir, 'backups', '2026-11-30T03-00-00-000Z.partial');
    mkdirSync(halfCopy, { recursive: true });
    writeFileSync(join(halfCopy, 'cairn.db'), 'the first pages');
    writeFileSync(join(halfCopy, UNFINISHED_MARK), JSON.stringify({ pid: deadPid(), host: hostname() }));
    const [nightly] = await cli(dataDir, 'backup');
    expect(existsSync(halfCopy)).toBe(false);
    const nightlyDir = /^Backed up to (.+): cairn\.db/.exec(nightly ?? '')?.[1] ?? '';
    expect(nightlyDir.startsWith(join(dataDir, 'backups'))).toBe(true);
    const view = await operatorView(dataDir);
    expect(view.skill).toEqual([expect.stringMatching(/^v1 /), expect.stringMatching(/^v2 /)]);

    // Night 2: the schedule's two runs overlap on one dated folder of the mounted disk. One writes
    // it, the other says why it did not (each removed the other's copy as it went; both failed,
    // one of them saying the disk was full).
    const disk = tempDir();
    const dated = join(disk, 'cairn-night-2');
    const runs = await Promise.allSettled([cli(dataDir, 'backup', '--out', dated), cli(dataDir, 'backup', '--out', dated)]);
    expect(runs.map((run) => run.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = runs.find((run): run is PromiseRejectedResult => run.status === 'rejected');
    expect(String(refused?.reason)).toContain(`Another \`cairn backup\` is writing to ${dated} now`);
    expect(readdirSync(disk)).toEqual(['cairn-night-2']);
    expect(readdirSync(dated).sort()).toEqual(['.cairn-backup', 'cairn.db', 'skills']);
    expect(statSync(dated).mode & 0o777).toBe(0o700);

    // Night 3: the machine rebooted in the middle of the backup. Its folder is left as `.partial`,
    // the database copied, the skills not yet: a restore of it would drop every learned skill.
    const killed = join(disk, 'cairn-night-3');
    cpSync(dated, `${killed}.partial`, { recursive: true });
    rmSync(join(`${killed}.partial`, 'skills'), { recursive: true });
    writeFileSync(join(`${killed}.partial`, UNFINISHED_MARK), JSON.stringify({ pid: deadPid(), host: hostname() }));
    const scratch = tempDir();
    await expect(cli(scratch, 'restore', `${killed}.partial`)).rejects.toThrow(`${killed}.partial is a backup that did not finish`);
    // Copied away under a tidier name, it is still known for what it is.
    cpSync(`${killed}.partial`, join(disk, 'copied'), { recursive: true });
    await expect(cli(scratch, 'restore', join(disk, 'copied'))).rejects.toThrow('is a backup that did not finish');
    expect(existsSync(join(scratch, 'cairn.db'))).toBe(false);
    // The next run to that place takes over from the dead one and finishes.
    expect((await cli(dataDir, 'backup', '--out', killed))[0]).toMatch(/, 1 skill files, 0 audit files\.$/);
    expect(existsSync(`${killed}.partial`)).toBe(false);

    // A copy damaged on its way to another disk is refused for what it is, changing nothing.
    const damaged = join(disk, 'damaged');
    cpSync(dated, damaged, { recursive: true });
    truncateSync(join(damaged, 'cairn.db'), Math.floor(statSync(join(damaged, 'cairn.db')).size / 2));
    await expect(cli(scratch, 'restore', damaged)).rejects.toThrow(`${damaged}/cairn.db is damaged or cut short`);
    expect(existsSync(join(scratch, 'cairn.db'))).toBe(false);

    // The drill: each good backup, restored into a scratch data folder, reads as production did.
    for (const backup of [nightlyDir, dated, killed]) {
      const drill = tempDir();
      expect(await cli(drill, 'restore', backup)).toEqual([`Restored ${backup}. Start Cairn again.`]);
      expect(await operatorView(drill)).toEqual(view);
    }

    // A bad day: the notes are forgotten by mistake. The operator stops `cairn start`, but a
    // `cairn chat` is still open on the folder; restored under it, what it wrote next went into
    // the database set aside, and the conversation was gone from the restored one.
    expect((await cli(dataDir, 'memory', 'forget', '--user', 'telegram:1', 'all'))[0]).toMatch(/^Deleted 1 notes/);
    await prod.cairn.close();
    const chat = start(dataDir, now + 60_000);
    await expect(restoreDataDir(chat.config, dated, new Date(), { openWaitMs: 0 })).rejects.toThrow(/has .*cairn\.db open \(`cairn chat`, a batch run, or a command still running\): close it first/);
    rig.server.enqueue({ text: 'Still here.' });
    await chat.cairn.gateway.receive(chat.dm('are you there?', 'c1'));
    expect(chat.telegram.texts()).toEqual(['Still here.']);
    await chat.cairn.close();

    // Chat closed: the restore goes through, twice in a row, each time setting aside what was there.
    const [restored] = await cli(dataDir, 'restore', dated);
    const setAside = /What the data folder held before is in (.+)\. Start Cairn again\.$/.exec(restored ?? '')?.[1] ?? '';
    expect(await operatorView(dataDir)).toEqual(view);
    expect(await cli(setAside, 'memory', 'list', '--user', 'telegram:1')).toEqual(['No notes for telegram:1.']);
    const [again] = await cli(dataDir, 'restore', dated);
    expect(again).not.toContain(setAside);
    expect(existsSync(join(setAside, 'cairn.db'))).toBe(true);

    // Cairn started again on the restored folder: the note, the skill at v2 and the schedule are there.
    const after = start(dataDir, now + 120_000);
    rig.server.enqueue({ text: 'Green tea, brewed at 75C.' });
    await after.cairn.gateway.receive(after.dm('what do I drink, and how hot?', 'd1'));
    expect(after.telegram.texts()).toEqual(['Green tea, brewed at 75C.']);
    const asked = JSON.stringify(rig.server.chatRequests().at(-1)?.messages);
    expect(asked).toContain('remind me every day at 9 to buy tea');
    expect(asked).toContain('Ana drinks green tea every morning.');
    expect(asked).not.toContain('are you there?');
    expect(await cli(dataDir, 'skills', 'rollback', 'brewing-tea', '1')).toEqual(['Rolled brewing-tea back to the text of v1; that is now v3.']);
  });
});
