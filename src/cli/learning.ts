/** `cairn tasks`, `cairn audit` and `cairn skills proposals|approve|reject`: the learning loop for operators. */
import type { Command } from 'commander';
import { CairnError } from '../core/errors.js';
import type { Task } from '../learning/tasks.js';
import { positiveInt, withCairn, type CommandGroup } from './context.js';
import { oneLine } from '../core/text.js';
import { CLI_DECIDER } from '../learning/proposals.js';
import { rejectionLine } from '../learning/proposal-commands.js';

export const learningCommands: CommandGroup = (context) => {
  const { program, print } = context;

  program
    .command('tasks')
    .description('tasks the agent worked on and their outcomes')
    .command('list')
    .option('--json', 'print one JSON array')
    .option('-n, --limit <n>', 'how many, newest first', '20')
    .action((options: { json?: boolean; limit: string }) =>
      withCairn(context, (cairn) => {
        const tasks = cairn.learning.tasks.recent(positiveInt(options.limit, '--limit'));
        if (options.json) return print(JSON.stringify(tasks.map(publicTask)));
        if (tasks.length === 0) return print('No tasks yet.');
        for (const t of tasks) print(`#${t.id}  ${new Date(t.createdAt).toISOString()}  ${t.outcome.padEnd(7)} (${t.outcomeSource})  ${t.toolCalls} ${t.toolCalls === 1 ? 'tool call' : 'tool calls'}  ${oneLine(t.request, 70)}`);
      }),
    );

  const audit = program.command('audit').description('self-audits of success rates, failure modes and skill quality');
  audit
    .command('run')
    .description('run an audit now')
    .action(() =>
      withCairn(context, async (cairn) => {
        const record = await cairn.learning.audits.run('manual (cairn audit run)');
        if (!record) throw new CairnError('invalid_input', 'Another audit is running; try again when it has finished.');
        if (record.status === 'failed') throw new CairnError('internal', `The audit failed: ${record.error ?? 'unknown error'}`);
        print(record.report ?? '');
        print(`Report written to ${record.reportPath ?? '(nowhere)'}`);
      }, { create: true }),
    );
  audit
    .command('list')
    .option('--json', 'print JSON')
    .option('-n, --limit <n>', 'how many, newest first', '50')
    .action((options: { json?: boolean; limit: string }) =>
      withCairn(context, (cairn) => {
        const audits = cairn.learning.audits.list(positiveInt(options.limit, '--limit'));
        if (options.json) return print(JSON.stringify(audits.map(({ report: _report, stats, ...rest }) => ({ ...rest, overall: stats?.overall }))));
        if (audits.length === 0) return print('No audits yet. Run `cairn audit run`.');
        for (const a of audits) {
          const rate = a.stats?.overall.successRate;
          const recent = a.stats?.sinceLastAudit.successRate;
          // A failed one says why: "0 tasks, success n/a" sent the admin to `show` for every line.
          const outcome = a.status === 'done' ? `${a.taskCount} tasks  success ${pct(rate)} (since the previous ${pct(recent)})` : a.status === 'failed' ? `failed: ${oneLine(a.error ?? 'unknown error', 80)}` : a.status;
          print(`#${a.id}  ${new Date(a.startedAt).toISOString()}  ${outcome}  (${a.trigger})`);
        }
        // After months of audits every 15 tasks, the list stopped at 50 without a word.
        const total = cairn.learning.audits.count();
        if (total > audits.length) print(`(the newest ${audits.length} of ${total}: \`--limit ${total}\` lists them all, \`cairn audit show <id>\` reads one)`);
      }),
    );
  audit
    .command('show <id>')
    .action((id: string) =>
      withCairn(context, (cairn) => {
        const record = cairn.learning.audits.get(positiveInt(id, 'id'));
        if (!record) throw new CairnError('not_found', `No audit #${id}. Run \`cairn audit list\`.`);
        print(record.report ?? `Audit #${record.id} ${record.status}${record.error ? `: ${record.error}` : ''}`);
      }),
    );

  const skills = findOrCreate(program, 'skills');
  skills
    .command('proposals')
    .description('skill changes reflection proposed (CAIRN_REFLECTION=propose)')
    .option('--all', 'also decided ones')
    .action((options: { all?: boolean }) =>
      withCairn(context, (cairn) => {
        const list = options.all ? cairn.learning.proposals.recent(50) : cairn.learning.proposals.pending();
        if (list.length === 0) return print('No pending skill proposals.');
        for (const p of list) {
          const settled = p.status === 'rejected' ? rejectionLine(p) : p.detail;
          print(`#${p.id}  ${p.status.padEnd(8)}  ${p.change.action} ${p.change.name}: ${oneLine(p.change.reason, 80)}${settled ? `  [${settled}]` : ''}`);
        }
      }),
    );
  skills
    .command('approve <id>')
    .description('apply a proposed skill change')
    .action((id: string) =>
      withCairn(context, (cairn) => {
        const result = cairn.learning.proposals.apply(positiveInt(id, 'id'), 'person', Date.now());
        if (result.status !== 'applied') throw new CairnError('invalid_input', `Proposal #${id} could not be applied: ${result.detail ?? 'unknown reason'}`);
        print(`Applied: ${result.detail ?? ''}`);
      }),
    );
  skills
    .command('reject <id> [why...]')
    .description('discard a proposed skill change; the reason (--reason, or the words after the id) is kept and told to reflection')
    .option('--reason <why>', 'why it was rejected')
    .action((id: string, words: string[], options: { reason?: string }) =>
      withCairn(context, (cairn) => {
        // As `/proposals reject <id> <why>` in the chat: words after the id are the reason, not an error.
        if (options.reason !== undefined && words.length > 0) throw new CairnError('invalid_input', 'Give the reason once: --reason "…" or the words after the id, not both.');
        const why = (options.reason ?? words.join(' ')).trim();
        const before = cairn.learning.proposals.get(positiveInt(id, 'id'));
        const rejected = cairn.learning.proposals.reject(positiveInt(id, 'id'), Date.now(), { id: CLI_DECIDER }, why === '' ? undefined : why);
        if (before?.status === 'rejected') return print(`Kept why proposal #${id} was rejected.`);
        print(`Rejected proposal #${id}${rejected.decisionNote === undefined ? '' : ` (${oneLine(rejected.decisionNote, 80)})`}.`);
      }),
    );
};

function pct(rate: number | undefined): string {
  return rate === undefined ? 'n/a' : `${Math.round(rate * 100)}%`;
}

function findOrCreate(program: Command, name: string): Command {
  return program.commands.find((command) => command.name() === name) ?? program.command(name);
}

function publicTask(task: Task) {
  const { trajectory: _trajectory, ...rest } = task;
  return { ...rest, createdAt: new Date(task.createdAt).toISOString() };
}

