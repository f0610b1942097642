/**
 * `/feedback good|bad [why]`: the sender's verdict on their latest answer in this conversation,
 * or, given as a 👍/👎 on one of Cairn's replies, on the task that sent that reply.
 */
import type { CommandRegistry } from '../core/commands.js';
import type { TaskRecorder } from './recorder.js';
import type { Task, TaskStore } from './tasks.js';

export type FeedbackListener = (task: Task) => void;

const GOOD = new Set(['good', 'yes', '+', '+1', '👍', 'up']);
const BAD = new Set(['bad', 'no', '-', '-1', '👎', 'down']);

export function registerFeedbackCommand(commands: CommandRegistry, recorder: TaskRecorder, tasks: TaskStore, onFeedback: FeedbackListener): void {
  commands.register({
    name: 'feedback',
    usage: 'feedback good|bad [why]',
    description: 'tell me whether my last answer solved your problem (I learn from it)',
    run: ({ message, args, isAdmin }) => {
      const [first = '', ...rest] = args.split(/\s+/);
      // People type "good!" or "bad, the query was slow": the punctuation after the verdict is no part of it.
      const word = first.toLowerCase().replace(/[.,;:!?…]+$/u, '');
      const verdict = GOOD.has(word) ? 'good' : BAD.has(word) ? 'bad' : undefined;
      if (!verdict) return 'Usage: /feedback good|bad [why] — for example `/feedback bad the query was still slow`.';
      // A reaction on someone else's answer (a group) is theirs to give, or an admin's: it would steer learning on their task.
      const asker = message.feedbackOn === undefined ? undefined : recorder.askerOf(message.conversationId, message.feedbackOn);
      if (asker !== undefined && asker !== message.userId && !isAdmin) return '';
      const task = recorder.taskForFeedback(message.conversationId, message.userId, message.feedbackOn);
      if (!task && message.feedbackOn !== undefined) return "I no longer know what that message answered, so I can't learn from this feedback. Try /feedback good|bad right after one of my answers.";
      if (!task) return "I can't tell which answer of mine this is about (there is none, or I no longer know it), so I can't learn from it. Send /feedback good|bad right after the answer you mean.";
      const reason = rest.join(' ').trim() || undefined;
      tasks.setFeedback(task.id, verdict, reason);
      onFeedback(tasks.get(task.id) ?? task);
      return verdict === 'good' ? 'Thanks! Noted that this worked.' : "Thanks for telling me. I'll look at what went wrong and do better next time.";
    },
  });
}
