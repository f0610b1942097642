/**
 * An operator's backup and restore around a running Cairn: a Telegram user's notes, a skill the
 * agent wrote, a daily task and an audit; `cairn backup` taken while Cairn works (once between
 * turns, once in the middle of one), `cairn restore` of it into a new data folder, and Cairn
 * reopened there. The operator's commands agree before and after, and the conversation goes on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { keepOperatorVariables, operatorCli, startOnFolder } from '../helpers/operator-folder.js';

const rig = useFakeModelRig();
keepOperatorVariables();
const start = (dataDir: string, at: number) => startOnFolder(rig, dataDir, at);
/** `cairn …` on `dataDir`, as an operator runs it in a shell beside the running Cairn. */
const cli = operatorCli(rig);

/** What an operator reads of a data folder. */
async function operatorView(dataDir: string) {
  return {
    notes: await cli(dataDir, 'memory', 'list', '--user', 'telegram:1'),
    users: await cli(dataDir, 'memory', 'users'),
    schedules: await cli(dataDir, 'schedules', 'list'),
    skill: await cli(dataDir, 'skills', 'history', 'brewing-tea'),
    usage: await cli(dataDir, 'usage', '--json'),
    tasks: await cli(dataDir, 'tasks', 'list', '--json'),
    audit: await cli(dataDir, 'audit', 'show', '1'),
  };
}

describe('an operator backs up a running Cairn and restores it into a new data folder', () => {
  it('keeps notes, skills, tasks, usage, schedules and audits, and the conversation goes on there', async () => {
    const dataDir = tempDir();
    const now = Date.now();
    const first = start(dataDir, now);
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: 'Ana drinks green tea every morning.' } }] }, { text: 'Noted.' });
    await first.cairn.gateway.receive(first.dm('remember I drink green tea every morning', 'a1'));
    rig.server.enqueue(
      { toolCalls: [{ name: 'skill_create', arguments: { name: 'brewing-tea', description: 'How to brew green tea well.', body: '## Steps\n\n1. Heat water to 80C.\n' } }] },
      { text: 'Saved a skill.' },
    );
    await first.cairn.gateway.receive(first.dm('write down how to brew tea as a skill', 'a2'));
    rig.server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Remind Ana to buy tea.', cron: '0 9 * * *' } }] }, { text: 'Scheduled.' });
    await first.cairn.gateway.receive(first.dm('remind me every day at 9 to buy tea', 'a3'));
    expect(first.telegram.texts()).toEqual(['Noted.', 'Saved a skill.', 'Scheduled.']);
    expect((await cli(dataDir, 'audit', 'run')).at(-1)).toMatch(/^Report written to /);

    const backup = join(tempDir(), 'backup');
    expect((await cli(dataDir, 'backup', '--out', backup))[0]).toMatch(/1 skill files, 2 audit files\.$/);
    const before = await operatorView(dataDir);
    // Usage and the tasks' own usage agree: three turns of two calls each.
    const usage = JSON.parse(before.usage[0] ?? '{}') as { people: { user: string; calls: number; tokens: number }[] };
    const tasks = JSON.parse(before.tasks[0] ?? '[]') as { usage: { promptTokens: number; completionTokens: number } }[];
    expect(tasks).toHaveLength(3);
    expect(usage.people).toEqual([{ user: 'telegram:1', calls: 6, tokens: tasks.reduce((sum, t) => sum + t.usage.promptTokens + t.usage.completionTokens, 0) }]);

    // Cairn goes on writing after the backup: none of it is in the restored folder.
    rig.server.enqueue({ toolCalls: [{ name: 'memory_save', arguments: { text: 'Ana moved to Lisbon in November.' } }] }, { text: 'Noted too.' });
    await first.cairn.gateway.receive(first.dm('I moved to Lisbon in November', 'a4'));

    const other = tempDir();
    expect(await cli(other, 'restore', backup)).toEqual([`Restored ${backup}. Start Cairn again.`]);
    expect(await operatorView(other)).toEqual(before);
    // The report an audit listing names is the restored one, not the old folder's.
    const [audit] = JSON.parse((await cli(other, 'audit', 'list', '--json'))[0] ?? '[]') as { reportPath: string }[];
    expect(audit?.reportPath).toBe(join(other, 'audits', 'audit-0001-' + new Date(now).toISOString().slice(0, 10) + '.md'));
    expect(existsSync(audit?.reportPath ?? '')).toBe(true);

    // Cairn reopened on the restored folder: the conversation, the note and the skill are there.
    await first.cairn.close();
    const second = start(other, now + 60_000);
    rig.server.enqueue({ text: 'Green tea.' });
    await second.cairn.gateway.receive(second.dm('what do I drink?', 'b1'));
    expect(second.telegram.texts()).toEqual(['Green tea.']);
    const asked = JSON.stringify(rig.server.chatRequests().at(-1)?.messages);
    expect(asked).toContain('remind me every day at 9 to buy tea');
    expect(asked).toContain('brewing-tea');
    expect(asked).not.toContain('Lisbon');
    rig.server.enqueue({ toolCalls: [{ name: 'skill_patch', arguments: { name: 'brewing-tea', find: '80C', replace: '100C', reason: 'hotter' } }] }, { text: 'Patched.' });
    await second.cairn.gateway.receive(second.dm('boil it instead', 'b2'));
    // The agent's patch lands in the restored folder; the original one is untouched.
    expect(readFileSync(join(other, 'skills', 'brewing-tea', 'SKILL.md'), 'utf8')).toContain('100C');
    expect(readFileSync(join(dataDir, 'skills', 'brewing-tea', 'SKILL.md'), 'utf8')).toContain('80C');
    expect(await cli(other, 'skills', 'rollback', 'brewing-tea', '1')).toEqual(['Rolled brewing-tea back to the text of v1; that is now v3.']);
    expect(readFileSync(join(other, 'skills', 'brewing-tea', 'SKILL.md'), 'utf8')).toContain('80C');
    expect((await cli(other, 'schedules', 'cancel', '1'))[0]).toBe('Cancelled task #1.');
    expect(await cli(dataDir, 'schedules', 'list')).toEqual(before.schedules);
  });

  it('restores a backup taken in the middle of a turn to a conversation that goes on', async () => {
    const dataDir = tempDir();
    const now = Date.now();
    const first = start(dataDir, now);
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    rig.server.enqueue(
      { toolCalls: [{ name: 'current_time', arguments: {} }, { name: 'memory_save', arguments: { text: 'Ana drinks green tea every morning.' } }] },
      { after: answered, then: { text: 'Noted, and it is morning.' } },
    );
    const turn = first.cairn.gateway.receive(first.dm('remember I drink green tea; what time is it?', 'a1'));
    // The tools have run and the model is writing its answer: the backup is taken now.
    while (rig.server.chatRequests().length < 2) await new Promise((resolve) => setImmediate(resolve));
    const backup = join(tempDir(), 'backup');
    await cli(dataDir, 'backup', '--out', backup);
    answer();
    await turn;
    expect(first.telegram.texts()).toEqual(['Noted, and it is morning.']);
    await first.cairn.close();

    const other = tempDir();
    await cli(other, 'restore', backup);
    expect(await cli(other, 'memory', 'list', '--user', 'telegram:1')).toEqual([expect.stringContaining('Ana drinks green tea every morning.')]);
    const second = start(other, now + 60_000);
    rig.server.enqueue({ text: 'Green tea.' });
    await second.cairn.gateway.receive(second.dm('what do I drink?', 'b1'));
    expect(second.telegram.texts()).toEqual(['Green tea.']);
    // The half turn is whole for the model: each tool call with its result, then an answer.
    const messages = rig.server.chatRequests().at(-1)?.messages as { role: string; content: unknown; tool_calls?: { id: string }[]; tool_call_id?: string }[];
    const calls = messages.flatMap((message) => message.tool_calls?.map((call) => call.id) ?? []);
    expect(calls).toHaveLength(2);
    expect(messages.filter((message) => message.role === 'tool').map((message) => message.tool_call_id).sort()).toEqual(calls.sort());
    expect(messages.at(-2)?.role).toBe('assistant');
    expect(messages.at(-1)?.content).toBe('what do I drink?');
  });
});
