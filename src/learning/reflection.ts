/**
 * Reflection: after a complex task (many tool calls, or any failure) the aux model
 * reviews it — what worked, what failed, what it assumed, what to do differently —
 * as zod-validated JSON. Its verdict becomes the task's self-assessed outcome, and a
 * proposed skill change goes through the skills layer (auto) or waits for a person
 * (propose). It runs after the reply was sent and never breaks a turn; a spent daily
 * budget skips it.
 */
import type { Db } from '../store/db.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { describeError } from '../core/errors.js';
import type { ChatMessage, ModelClient } from '../model/types.js';
import type { Skills } from '../skills/index.js';
import { truncateMiddle } from '../tools/truncate.js';
import type { LearningBudget } from './budget.js';
import { proposalBase, type Proposal, type ProposalBase, type ProposalStore } from './proposals.js';
import { REFLECTION_INSTRUCTIONS, reflectionSchema, type Reflection } from './reflection-schema.js';
import type { Task, TaskStore } from './tasks.js';
import { extractJson } from '../core/json-in-text.js';

export interface ReflectorOptions {
  db: Db;
  model: ModelClient;
  auxModel: string | undefined;
  tasks: TaskStore;
  proposals: ProposalStore;
  skills: Skills | undefined;
  budget: LearningBudget;
  mode: 'off' | 'propose' | 'auto';
  minToolCalls: number;
  clock: Clock;
  logger: Logger;
  /** Hears of each proposal left for a person (propose mode), to put it before the admins. */
  onProposed?: ((proposal: Proposal) => void) | undefined;
}

/** The trajectory shown to the reflector is cut to this many characters. */
const MAX_TRAJECTORY_CHARS = 12_000;

/** The reflection's model call failed (unlike an answer that was no use, worth asking again). */
const CALL_FAILED = Symbol('reflection call failed');

export class Reflector {
  private readonly insert;
  /** Tasks being reflected on now: feedback that comes meanwhile does not start a second reflection. */
  private readonly inFlight = new Set<number>();

  constructor(private readonly options: ReflectorOptions) {
    this.insert = options.db.prepare('INSERT INTO reflections (task_id, body, created_at) VALUES (?, ?, ?)');
  }

  shouldReflect(task: Task): boolean {
    return this.options.mode !== 'off' && (task.toolCalls >= this.options.minToolCalls || task.outcome === 'failure');
  }

  /** Reflects on a task; undefined when skipped (budget, mode) or the model never answered usefully. */
  async reflect(task: Task, focus?: string): Promise<Reflection | undefined> {
    const { logger, budget } = this.options;
    if (this.options.mode === 'off') return undefined;
    if (budget.exhausted()) {
      logger.info({ taskId: task.id }, 'reflection skipped: the daily learning budget is spent');
      return undefined;
    }
    if (this.inFlight.has(task.id)) return undefined;
    this.inFlight.add(task.id);
    let reflection: Reflection | undefined | typeof CALL_FAILED;
    // The skill texts shown to the model: a patch it proposes is written against these, not
    // against whatever the skill has become by the time it answers.
    const shown = new Map<string, ProposalBase>();
    try {
      reflection = await this.ask(task, focus, shown);
    } finally {
      this.inFlight.delete(task.id);
    }
    // The model could not be reached: the task is not marked, so 👎 feedback later can try again.
    if (reflection === CALL_FAILED) return undefined;
    this.options.tasks.markReflected(task.id);
    if (!reflection) return undefined;
    this.insert.run(task.id, JSON.stringify(reflection), this.options.clock.now());
    this.options.tasks.setSelfAssessment(task.id, reflection.outcome, summary(reflection));
    if (reflection.skill.action !== 'none') {
      const proposal = this.options.proposals.add(task.id, reflection.skill, this.options.clock.now(), shown.get(reflection.skill.name));
      if (this.options.mode === 'auto') {
        const result = this.options.proposals.apply(proposal.id, 'agent', this.options.clock.now());
        logger.info({ taskId: task.id, skill: reflection.skill.name, action: reflection.skill.action, status: result.status, detail: result.detail }, 'skill change from reflection');
      } else {
        this.options.onProposed?.(proposal);
      }
    }
    return reflection;
  }

  /** Asks the model; an invalid answer is retried once with the validation error. */
  private async ask(task: Task, focus: string | undefined, shown: Map<string, ProposalBase>): Promise<Reflection | undefined | typeof CALL_FAILED> {
    const messages: ChatMessage[] = [
      { role: 'system', content: REFLECTION_INSTRUCTIONS },
      { role: 'user', content: this.describe(task, focus, shown) },
    ];
    for (let attempt = 0; attempt < 2; attempt++) {
      let text: string;
      try {
        const result = await this.options.model.complete({ messages, ...(this.options.auxModel ? { model: this.options.auxModel } : {}), json: true, purpose: 'reflection', sessionId: task.sessionId });
        text = result.text;
      } catch (error) {
        this.options.logger.warn({ taskId: task.id, err: describeError(error) }, 'reflection call failed');
        return CALL_FAILED;
      }
      const problem = parseReflection(text);
      if (problem.ok) return problem.value;
      messages.push({ role: 'assistant', content: text }, { role: 'user', content: `That was not valid: ${problem.error}. Answer again with only the JSON object.` });
    }
    this.options.logger.warn({ taskId: task.id }, 'reflection gave invalid output twice; skipped');
    return undefined;
  }

  /** The task in words for the reflector; each skill body shown is noted in `shown`. */
  private describe(task: Task, focus: string | undefined, shown: Map<string, ProposalBase>): string {
    const parts = [
      `Task #${task.id} on ${task.platform}. The user asked:\n${truncateMiddle(task.request, 2_000)}`,
      `Signals so far: outcome ${task.outcome} (from ${task.outcomeSource})${task.feedback ? `, user feedback "${task.feedback}"${task.feedbackReason ? `: ${task.feedbackReason}` : ''}` : ''}; ${task.toolCalls} tool calls, ${task.toolErrors} failed; stopped because: ${task.stopReason}.`,
    ];
    if (task.errors.length > 0) parts.push(`Tool errors:\n${task.errors.map((e) => `- ${truncateMiddle(e, 300)}`).join('\n')}`);
    parts.push(`Trajectory:\n${truncateMiddle(renderTrajectory(task.trajectory), MAX_TRAJECTORY_CHARS)}`);
    const skills = this.options.skills;
    for (const use of task.skillsUsed) {
      const skill = skills?.find(use.name);
      if (!skills || !skill) continue;
      parts.push(`Skill used: ${use.name} (version ${use.version}). Its current body:\n${truncateMiddle(skill.document.body, 6_000)}`);
      shown.set(use.name, proposalBase(skills, skill, this.options.clock.now()));
    }
    if (focus) parts.push(focus);
    return parts.join('\n\n');
  }
}

function parseReflection(text: string): { ok: true; value: Reflection } | { ok: false; error: string } {
  // Text around the JSON ("Here is my review: ```json …```") is what a model without JSON mode writes.
  const extracted = extractJson(text);
  if (!extracted) return { ok: false, error: 'it holds no JSON object' };
  const parsed = reflectionSchema.safeParse(extracted.parsed);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'root'}: ${i.message}`).join('; ') };
}

function renderTrajectory(messages: readonly ChatMessage[]): string {
  return messages
    .map((m) => {
      if (m.role === 'assistant') return `assistant: ${m.content ?? ''}${m.toolCalls?.map((c) => ` [${c.name} ${truncateMiddle(c.arguments, 400)}]`).join('') ?? ''}`;
      return `${m.role}: ${truncateMiddle(m.content, 1_500)}`;
    })
    .join('\n');
}

function summary(reflection: Reflection): string {
  const items = [...reflection.failed.map((f) => `failed: ${f}`), ...reflection.doDifferently.map((d) => `next time: ${d}`)];
  return `${reflection.outcome}${reflection.efficient ? '' : ' (inefficient)'}${items.length ? ` — ${items.join('; ')}` : ''}`.slice(0, 1_000);
}
