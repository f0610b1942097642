/** `cairn schedules list|cancel`: every conversation's scheduled tasks, for operators. */
import { CairnError } from '../core/errors.js';
import { listedId, withCairn, type CommandGroup } from './context.js';

export const schedulesCommands: CommandGroup = (context) => {
  const { program, print } = context;
  const schedules = program.command('schedules').description('tasks the agent was asked to run later (see README, Scheduled tasks)');
  schedules
    .command('list')
    .description('the active tasks of every conversation, soonest first')
    .option('--json', 'print JSON lines')
    .action((options: { json?: boolean }) =>
      withCairn(context, (cairn) => {
        const tasks = cairn.schedules.store.active();
        if (options.json) return tasks.forEach((task) => print(JSON.stringify(task)));
        if (tasks.length === 0) return print('No scheduled tasks.');
        for (const task of tasks) print(`${cairn.schedules.describe(task)}  [${task.conversationId}]`);
      }),
    );
  schedules
    .command('cancel <id>')
    .description('cancel a task (as an admin would)')
    .action((id: string) =>
      withCairn(context, (cairn) => {
        // `list` prints "#5": that is taken as the id too.
        const number = listedId(id, 'id');
        if (!cairn.schedules.store.cancel(number)) throw new CairnError('not_found', `There is no active scheduled task #${number}; \`cairn schedules list\` shows them.`);
        print(`Cancelled task #${number}.`);
      }),
    );
};
