/**
 * The learning loop, wired: every finished turn may become a task; tasks get
 * outcomes (tools, reflection, feedback), complex ones are reflected on, skill
 * versions are judged by their outcomes and rolled back when worse, and audits run
 * every N tasks, on a cron schedule, and when one was missed.
 *
 *   tasks.ts / recorder.ts / outcome.ts   tasks and their outcomes
 *   feedback.ts                           /feedback good|bad [why]
 *   reflection*.ts / proposals.ts         reflection and skill changes (auto or proposed)
 *   refinement.ts                         automatic rollback of worse skill versions
 *   admin-channel.ts / admin-posts.ts     what is posted to CAIRN_ADMIN_CHANNEL, and posts waiting for `cairn start`
 *   audit*.ts / scheduler.ts / budget.ts  audits, their schedule, the daily token budget
 *   forgotten-quotes.ts                   a person's /forget reaching the audit reports kept
 */
import type { Db } from '../store/db.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Agent } from '../core/agent.js';
import type { CommandRegistry } from '../core/commands.js';
import { describeError } from '../core/errors.js';
import type { ModelClient } from '../model/types.js';
import type { LearningConfig } from '../config/learning.js';
import type { Skills } from '../skills/index.js';
import { TaskStore, type Task, type TaskTally } from './tasks.js';
import { TaskRecorder, type PersonOf } from './recorder.js';
import { registerFeedbackCommand } from './feedback.js';
import { LearningBudget } from './budget.js';
import { ProposalStore, type Proposal } from './proposals.js';
import { registerProposalCommands } from './proposal-commands.js';
import { Reflector } from './reflection.js';
import { Refiner } from './refinement.js';
import { AuditService, type RefineResult } from './audits.js';
import { AuditScheduler, type CronPort } from './scheduler.js';
import { skillMaintenance } from './skill-maintenance.js';
import { AdminChannel, type PostToConversation } from './admin-channel.js';
import { systemTimers, type Timers } from '../backends/timers.js';

export interface LearningOptions {
  db: Db;
  config: LearningConfig;
  dataDir: string;
  model: ModelClient;
  auxModel: string | undefined;
  skills: Skills | undefined;
  agent: Agent;
  commands: CommandRegistry;
  clock: Clock;
  logger: Logger;
  /** Posts audit reports and skill proposals to the admin channel. */
  post?: PostToConversation | undefined;
  /**
   * Whether this process has an adapter that posts to the conversation; where it has none for the admin
   * channel (`cairn chat`, the CLI), posts wait in the database for `cairn start`. Absent: it has.
   */
  canPost?: ((conversationId: string) => boolean) | undefined;
  /** Timers for sending posts other processes left waiting (tests fire them by hand). */
  timers?: Timers | undefined;
  cronPort?: CronPort | undefined;
  /** The person key an account's turns are recorded under now (identity links); the key itself when absent. */
  personOf?: PersonOf | undefined;
  /** Whether the whole team's dollar budget is spent (core/team-budget.ts): reflection waits for it to renew. */
  teamBudgetSpent?: (() => boolean) | undefined;
}

export class Learning {
  readonly tasks: TaskStore;
  readonly recorder: TaskRecorder;
  readonly budget: LearningBudget;
  readonly proposals: ProposalStore;
  readonly reflector: Reflector;
  readonly refiner: Refiner | undefined;
  readonly audits: AuditService;
  readonly scheduler: AuditScheduler;
  /** Where audit reports and proposals are posted; undefined without CAIRN_ADMIN_CHANNEL (or nothing to post with). */
  readonly adminChannel: AdminChannel | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly turnOfTask;

  constructor(private readonly options: LearningOptions) {
    const { db, config, clock, logger, skills } = options;
    this.turnOfTask = db.prepare("SELECT MAX(seq) FROM messages WHERE session_id = ? AND role = 'user' AND created_at <= ?").pluck();
    this.tasks = new TaskStore(db);
    this.recorder = new TaskRecorder(this.tasks, clock, skills ? (result) => skills.uses.usedInTurn(result) : undefined, options.personOf);
    this.budget = new LearningBudget(db, clock, config.dailyTokenBudget, config.personShare, options.teamBudgetSpent);
    this.proposals = new ProposalStore(db, skills);
    const channel = config.adminChannel;
    const track = (work: Promise<void>) => this.track(work);
    const admins = channel && options.post ? new AdminChannel({ db, channel, post: options.post, canPost: options.canPost, proposals: this.proposals, clock, logger, timers: options.timers ?? systemTimers, track }) : undefined;
    this.adminChannel = admins;
    const onProposed = admins ? (proposal: Proposal) => admins.announce(proposal) : undefined;
    this.reflector = new Reflector({ db, model: options.model, auxModel: options.auxModel, tasks: this.tasks, proposals: this.proposals, skills, budget: this.budget, mode: config.reflection, minToolCalls: config.reflectAfterToolCalls, clock, logger, onProposed });
    this.refiner = skills ? new Refiner(db, skills, config.refinementWindow, clock, logger) : undefined;
    this.audits = new AuditService({
      db,
      tasks: this.tasks,
      clock,
      logger,
      dataDir: options.dataDir,
      policy: { staleDays: config.staleDays, archiveDays: config.archiveDays, poorSuccessRate: 0.5, minJudged: 3 },
      skills: skills ? skillMaintenance(db, skills, clock) : undefined,
      refine: (skill, failures) => this.refineSkill(skill, failures),
      publish: admins ? (report) => admins.publish(report) : undefined,
    });
    this.scheduler = new AuditScheduler({ audits: this.audits, tasks: this.tasks, clock, logger, everyTasks: config.auditEveryTasks, cron: config.auditCron, timeZone: config.auditTimeZone, cronPort: options.cronPort, timers: options.timers });
    if (config.recordTasks) options.agent.onTurnFinished(this.recorder.record);
    this.recorder.onTask((task) => this.track(this.afterTask(task)));
    registerFeedbackCommand(options.commands, this.recorder, this.tasks, (task) => this.track(this.afterFeedback(task)));
    registerProposalCommands(options.commands, this.proposals, clock, (id, outcome) => {
      if (admins) this.track(admins.showSettled(id, outcome));
    });
  }

  /**
   * Starts the audit schedule, and in the background an audit missed while Cairn was down (idle() waits
   * for it); sends the admin posts other processes left waiting, now and every minute (`cairn start`).
   */
  async start(): Promise<void> {
    await this.scheduler.start();
    this.adminChannel?.start();
  }

  /** Resolves when reflections and audits started so far have finished. */
  async idle(): Promise<void> {
    // An audit can start more work as it ends (a proposal from its refinement posted to the admins): wait for that too.
    do {
      while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
      await this.scheduler.idle();
    } while (this.pending.size > 0);
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    this.adminChannel?.stop();
    await this.idle();
  }

  private async afterTask(task: Task): Promise<void> {
    this.attachOutcome(task);
    if (this.reflector.shouldReflect(task)) {
      const focus = task.outcome === 'failure' && task.skillsUsed.length > 0 ? 'The task failed while using the skill(s) above: propose a patch that would have avoided the failure, if one would.' : undefined;
      await this.reflector.reflect(task, focus);
    }
    const judged = this.tasks.get(task.id) ?? task;
    this.attachOutcome(judged);
    this.refiner?.afterOutcome(judged);
    this.scheduler.onTask();
  }

  private async afterFeedback(task: Task): Promise<void> {
    this.attachOutcome(task);
    this.refiner?.afterOutcome(task);
    // A recorded turn has steps; none left means the history sweep deleted them (CAIRN_KEEP_HISTORY_DAYS): a 👎 months
    // later would have reflection guess from the request alone, on the learning budget. The verdict still counts.
    if (task.feedback === 'bad' && !task.reflected && task.trajectory.length > 0 && this.options.config.reflection !== 'off') {
      await this.reflector.reflect(task, `The user said this did not work${task.feedbackReason ? `: "${task.feedbackReason}"` : ''}. What went wrong?`);
    }
  }

  /** Copies the task's outcome onto the skill uses of its turn (the skills layer's own record). */
  private attachOutcome(task: Task): void {
    if (!this.options.skills || task.skillsUsed.length === 0) return;
    const turn = this.turnOfTask.get(task.sessionId, task.createdAt) as number | null;
    if (turn !== null) this.options.skills.uses.setOutcome(task.sessionId, turn, task.outcome);
  }

  private async refineSkill(skill: string, failures: TaskTally[]): Promise<RefineResult> {
    // The audit's tasks come without their words: the example shown to reflection is read whole. Never one
    // whose person deleted its words with /forget: there is nothing of it left to learn from.
    const latest = failures.findLast((task) => !this.tasks.wordsForgotten(task.id));
    const example = latest && this.tasks.get(latest.id);
    if (!example) return failures.length > 0 ? { skipped: 'the words of its failed tasks were deleted with /forget' } : false;
    // A change to it already waits for a person (propose mode): asking again would spend tokens on
    // a second, like proposal, and post it to the admins once more with every audit until they decide.
    const waiting = this.proposals.pendingFor(skill);
    if (waiting.length > 0) {
      this.options.logger.info({ skill, proposals: waiting.map((p) => p.id) }, 'refinement skipped: a proposal for the skill waits for review');
      const ids = waiting.map((p) => `#${p.id}`).join(', ');
      return { skipped: `${waiting.length === 1 ? 'proposal' : 'proposals'} ${ids} for it ${waiting.length === 1 ? 'waits' : 'wait'} for review (/proposals show ${waiting[0]!.id})` };
    }
    const before = this.options.skills?.versions.latest(skill)?.version;
    const result = await this.reflector.reflect(example, `The audit found that the skill "${skill}" often fails (${failures.length} failed tasks, e.g. this one). Propose a patch to it that fixes the cause.`, 'audit');
    if (this.options.skills?.versions.latest(skill)?.version !== before) return true;
    // The report says what came of it: "None needed." under a failing skill told the operator all was well
    // when the budget was spent, the model was down or proposed nothing, or its change failed.
    if ('skipped' in result) return { skipped: result.skipped };
    const { proposal } = result;
    if (!proposal) return { skipped: 'reflection proposed no change to it' };
    if (proposal.change.name !== skill) return { skipped: `reflection proposed a change to \`${proposal.change.name}\` instead (proposal #${proposal.id}, ${proposal.status})` };
    // Propose mode: the change waits for a person.
    if (proposal.status === 'pending') return { proposed: proposal.id };
    return { skipped: `its change could not be applied (proposal #${proposal.id}): ${proposal.detail ?? proposal.status}` };
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.options.logger.error({ err: describeError(error) }, 'learning step failed'));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}
