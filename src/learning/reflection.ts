/**
 * Reflection: after a complex task (many tool calls, or any failure) the aux model
 * reviews it — what worked, what failed, what it assumed, what to do differently —
 * as zod-validated JSON. Its verdict becomes the task's self-assessed outcome, and a
 * proposed skill change goes through the skills layer (auto) or waits for a person
 * (propose). It runs after the reply was sent and never breaks a turn; a spent daily
 * budget skips it, and so does a spent share of it for the person whose task it is.
 */
import type { Db } from '../store/db.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { describeError, isCairnError } from '../core/errors.js';
import { headOf, oneLine } from '../core/text.js';
import type { ChatMessage, ModelClient } from '../model/types.js';
import type { SkillDocument } from '../skills/format.js';
import type { LoadedSkill, Skills } from '../skills/index.js';
import { shorten } from '../skills/catalog.js';
import { formatProblem } from '../skills/rules.js';
import { SkillWriteError } from '../skills/writer.js';
import { truncateMiddle } from '../tools/truncate.js';
import type { LearningBudget } from './budget.js';
import { proposalBase, type Proposal, type ProposalBase, type ProposalStore } from './proposals.js';
import { REFLECTION_INSTRUCTIONS, reflectionSchema, type Reflection, type SkillChange } from './reflection-schema.js';
import { isForgottenTask, type Task, type TaskStore } from './tasks.js';
import { rejectionsOf, repeatedRejection } from './rejections.js';
import { extractJson } from '../core/json-in-text.js';
import { estimateMessageTokens } from '../memory/tokens.js';

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

/** What a reflection came to: the verdict and the proposal it made (or found already waiting), or why there was none. */
export type ReflectionResult = { reflection: Reflection; proposal: Proposal | undefined } | { skipped: string };

/** The trajectory shown to the reflector is cut to this many characters. */
const MAX_TRAJECTORY_CHARS = 12_000;

/** A skill body shown to the reflector is cut to this many characters. */
const SKILL_BODY_CHARS = 6_000;

/** Existing skills close to the task listed for the reflector (names and short descriptions). */
const RELATED_SKILLS = 8;

/** Skills (used first, then related) whose earlier rejected proposals are told up front; one proposed outside them is told on answering. */
const REJECTED_SKILLS_TOLD = 4;

/** What one reflection answer is reserved of the daily budget while it is awaited (the JSON verdict and a skill's text). */
const ANSWER_TOKENS = 1_500;

/** The reflection's model call failed (unlike an answer that was no use, worth asking again). */
const CALL_FAILED = Symbol('reflection call failed');

/** A skill shown to the reflector: the base its patch is recorded against, and the text its "find" must be in. */
interface ShownSkill {
  base: ProposalBase;
  document: SkillDocument;
}

export class Reflector {
  private readonly insert;
  /** Tasks being reflected on now: feedback that comes meanwhile does not start a second reflection. */
  private readonly inFlight = new Set<number>();

  constructor(private readonly options: ReflectorOptions) {
    this.insert = options.db.prepare('INSERT INTO reflections (task_id, body, created_at) VALUES (?, ?, ?)');
  }

  shouldReflect(task: Task): boolean {
    return this.options.mode !== 'off' && !isForgottenTask(task) && (task.toolCalls >= this.options.minToolCalls || task.outcome === 'failure');
  }

  /**
   * Reflects on a task: its verdict and the proposal it left, or why there is none (an audit's report says it).
   * `askedBy`: `person` after the task or its person's 👎 (it spends from the share of the budget of the task's
   * person), `audit` when an audit refines a failing skill through it (no one person's).
   */
  async reflect(task: Task, focus?: string, askedBy: 'person' | 'audit' = 'person'): Promise<ReflectionResult> {
    const { logger, budget } = this.options;
    if (this.options.mode === 'off') return { skipped: 'reflection is off (CAIRN_REFLECTION=off)' };
    if (isForgottenTask(task)) return { skipped: `the words of task ${task.id} were deleted with /forget` };
    if (budget.teamBudgetSpent()) {
      logger.info({ taskId: task.id }, "reflection skipped: the team's model budget is spent");
      return { skipped: "the team's model budget (CAIRN_DAILY_BUDGET_USD or CAIRN_MONTHLY_BUDGET_USD) is spent" };
    }
    if (budget.exhausted()) {
      logger.info({ taskId: task.id }, 'reflection skipped: the daily learning budget is spent');
      return { skipped: 'the daily learning budget (CAIRN_LEARNING_DAILY_TOKENS) is spent' };
    }
    const person = askedBy === 'person' ? task.userId : undefined;
    if (person !== undefined && budget.personShareSpent(person)) {
      // Only this person's tasks wait for tomorrow: the rest of the budget is kept for the others'.
      logger.info({ taskId: task.id, userId: person, usedToday: budget.usedTodayBy(person), share: budget.personLimit() }, "reflection skipped: the person's share of the daily learning budget is spent");
      return { skipped: `the share of the daily learning budget for one person's tasks (CAIRN_LEARNING_PERSON_SHARE) is spent for ${person}` };
    }
    if (this.inFlight.has(task.id)) return { skipped: `a reflection on task ${task.id} is under way` };
    this.inFlight.add(task.id);
    let reflection: Reflection | undefined | typeof CALL_FAILED;
    // The skill texts shown to the model: a patch it proposes is written against these, not
    // against whatever the skill has become by the time it answers.
    const shown = new Map<string, ShownSkill>();
    // The skill names whose rejected proposals the model was told of (rejections.ts).
    const told = new Set<string>();
    try {
      reflection = await this.ask(task, focus, shown, person, told);
    } finally {
      this.inFlight.delete(task.id);
    }
    // The model could not be reached: the task is not marked, so 👎 feedback later can try again.
    if (reflection === CALL_FAILED) return { skipped: 'the model could not be reached (see the log)' };
    // Its person used /forget while the model read it: the answer may retell what they deleted, so none of it is kept.
    if (this.options.tasks.wordsForgotten(task.id)) return { skipped: `the words of task ${task.id} were deleted with /forget` };
    this.options.tasks.markReflected(task.id);
    if (!reflection) return { skipped: 'the model gave no usable answer, twice (see the log)' };
    this.insert.run(task.id, JSON.stringify(reflection), this.options.clock.now());
    this.options.tasks.setSelfAssessment(task.id, reflection.outcome, summary(reflection));
    if (reflection.skill.action === 'none') return { reflection, proposal: undefined };
    const { proposals } = this.options;
    if (this.options.mode === 'auto') {
      const proposal = proposals.add(task.id, reflection.skill, this.options.clock.now(), shown.get(reflection.skill.name)?.base);
      const result = proposals.apply(proposal.id, 'agent', this.options.clock.now());
      logger.info({ taskId: task.id, skill: reflection.skill.name, action: reflection.skill.action, status: result.status, detail: result.detail }, 'skill change from reflection');
      return { reflection, proposal: result };
    }
    // Tasks of one kind come back (the same question each morning): their reflections propose the same new
    // skill, or the same patch, each time. One proposal waits for the admins, not one more (and one more post) per task.
    const waiting = proposals.waitingLike(reflection.skill);
    if (waiting) {
      logger.info({ taskId: task.id, skill: reflection.skill.name, proposalId: waiting.id }, 'reflection proposed a skill change that already waits for review');
      return { reflection, proposal: waiting };
    }
    const proposal = proposals.add(task.id, reflection.skill, this.options.clock.now(), shown.get(reflection.skill.name)?.base);
    this.options.onProposed?.(proposal);
    return { reflection, proposal };
  }

  /**
   * Asks the model; an invalid answer, or a skill change the skills layer would refuse, is retried
   * once with what was wrong. A verdict whose skill change is still refused is kept without the change.
   */
  private async ask(task: Task, focus: string | undefined, shown: Map<string, ShownSkill>, person: string | undefined, told: Set<string>): Promise<Reflection | undefined | typeof CALL_FAILED> {
    const messages: ChatMessage[] = [
      { role: 'system', content: REFLECTION_INSTRUCTIONS },
      { role: 'user', content: this.describe(task, focus, shown, told) },
    ];
    let withoutChange: Reflection | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      let text: string;
      // Reserved before the first await, in the step whose budget check let this reflection go: others
      // starting while it is awaited see what it will spend (the ledger has it only once it is answered).
      const release = this.options.budget.reserve(messages.reduce((sum, message) => sum + estimateMessageTokens(message), 0) + ANSWER_TOKENS, person);
      try {
        // Recorded under the person whose task it is: their share of the budget counts it (not their own allowance: see budget.ts).
        const result = await this.options.model.complete({ messages, ...(this.options.auxModel ? { model: this.options.auxModel } : {}), json: true, purpose: 'reflection', sessionId: task.sessionId, ...(person === undefined ? {} : { userKey: person }) });
        text = result.text;
      } catch (error) {
        this.options.logger.warn({ taskId: task.id, err: describeError(error) }, 'reflection call failed');
        return CALL_FAILED;
      } finally {
        release();
      }
      const parsed = parseReflection(text);
      const problem = parsed.ok ? (this.rejectedBefore(parsed.value.skill, told) ?? this.refusal(parsed.value.skill, shown)) : parsed.error;
      if (parsed.ok && problem === undefined) return parsed.value;
      withoutChange = parsed.ok ? { ...parsed.value, skill: { action: 'none' } } : (parsed.withoutChange ?? withoutChange);
      messages.push({ role: 'assistant', content: text }, { role: 'user', content: `That was not valid: ${problem}. Answer again with only the JSON object.` });
    }
    if (withoutChange) {
      this.options.logger.warn({ taskId: task.id }, 'reflection proposed a skill change that cannot be made, twice; kept without it');
      return withoutChange;
    }
    this.options.logger.warn({ taskId: task.id }, 'reflection gave invalid output twice; skipped');
    return undefined;
  }

  /**
   * Why a change goes back to the model as the admins rejected it before: it repeats a rejected one word
   * for word, or its skill has rejections the model was not told of yet (a name outside those described).
   * Told once, a different change to the same skill may go to the admins; the same one again is dropped.
   */
  private rejectedBefore(change: SkillChange, told: Set<string>): string | undefined {
    if (change.action === 'none') return undefined;
    const repeated = repeatedRejection(this.options.proposals, change);
    const wasTold = told.has(change.name);
    told.add(change.name);
    if (repeated) return `skill: an admin rejected this very change before (proposal #${repeated.id}${repeated.decisionNote === undefined ? '' : `: "${oneLine(repeated.decisionNote, 240)}"`}). Propose a different change that answers the reason, or none`;
    if (wasTold) return undefined;
    const rejections = rejectionsOf(this.options.proposals, change.name);
    return rejections === undefined ? undefined : `skill: ${rejections}`;
  }

  /**
   * Why the skills layer would refuse the change, found by a dry run of its own checks; undefined when
   * it would not. Otherwise the change becomes a proposal no Apply can apply (or, in auto mode, a failed write).
   */
  private refusal(change: SkillChange, shown: Map<string, ShownSkill>): string | undefined {
    const skills = this.options.skills;
    if (change.action === 'none' || !skills) return undefined;
    try {
      if (change.action === 'create') {
        skills.writer.checkCreate({ name: change.name, description: change.description, body: change.body });
        // The same skill under other words ("deploying-to-staging" beside "deploy-staging"): a year of these
        // left one procedure in three copies, each patched apart. The existing one is shown, to be patched.
        const same = skills.sameTopicAs(change.name);
        if (same) return `skill: "${same.name}" already is this skill (${shorten(same.description)}). Propose a patch of it instead, or none${this.show(same, shown)}`;
        return undefined;
      }
      // Checked against the text the model was shown, which its "find" was copied from.
      const against = shown.get(change.name)?.document ?? skills.find(change.name)?.document;
      if (!against) return `skill: there is no skill named "${change.name}" to patch; create one, or propose none`;
      try {
        skills.writer.checkPatch({ name: change.name, find: change.find, replace: change.replace, target: 'body' }, against);
      } catch (error) {
        // A skill only listed as related (name and description): its text is shown now, for the "find" to come from.
        const listed = shown.has(change.name) ? undefined : skills.find(change.name);
        if (listed && isCairnError(error)) return `skill: ${error instanceof SkillWriteError ? error.problems.map(formatProblem).join('; ') : error.message}${this.show(listed, shown)}`;
        throw error;
      }
      return undefined;
    } catch (error) {
      if (error instanceof SkillWriteError) return `skill: ${error.problems.map(formatProblem).join('; ')}`;
      if (isCairnError(error)) return `skill: ${error.message}`;
      throw error;
    }
  }

  /** A skill's body for a retry, noted in `shown` (a patch of it is checked against this text). */
  private show(skill: LoadedSkill, shown: Map<string, ShownSkill>): string {
    const skills = this.options.skills as Skills;
    shown.set(skill.name, { base: proposalBase(skills, skill, this.options.clock.now()), document: skill.document });
    return `. Copy a patch's "find" exactly from the body of "${skill.name}":\n${truncateMiddle(skill.document.body, SKILL_BODY_CHARS)}\n(end of the body)`;
  }

  /** The task in words for the reflector; each skill body shown is noted in `shown`. */
  private describe(task: Task, focus: string | undefined, shown: Map<string, ShownSkill>, told: Set<string>): string {
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
      parts.push(`Skill used: ${use.name} (version ${use.version}). Its current body:\n${truncateMiddle(skill.document.body, SKILL_BODY_CHARS)}`);
      shown.set(use.name, { base: proposalBase(skills, skill, this.options.clock.now()), document: skill.document });
    }
    // Shown only what the task used, reflection wrote a new skill for every deploy that did not open
    // deploy-staging first ("deploying-to-staging", "staging-deploy", …). The closest few, by name and
    // description (a patch of one gets its text back to copy from: see refusal).
    const related = skills?.related(task.request, RELATED_SKILLS, new Set(task.skillsUsed.map((use) => use.name))) ?? [];
    if (related.length > 0) {
      parts.push(`Existing skills close to this task (not used in it). Do not create one that repeats any of these; propose a patch of it, or none:\n${related.map((skill) => `- ${skill.name}: ${shorten(skill.description)}`).join('\n')}`);
    }
    // What the admins already turned down for these skills, and why: without it each task of the kind proposed it again.
    for (const name of new Set([...task.skillsUsed.map((use) => use.name), ...related.map((skill) => skill.name)])) {
      if (told.size >= REJECTED_SKILLS_TOLD) break;
      const rejections = rejectionsOf(this.options.proposals, name);
      if (rejections === undefined) continue;
      parts.push(rejections);
      told.add(name);
    }
    if (focus) parts.push(focus);
    return parts.join('\n\n');
  }
}

/** A reflection read from the model's text, or what is wrong with it (and, when only its skill change is, the rest). */
type ParsedReflection = { ok: true; value: Reflection } | { ok: false; error: string; withoutChange: Reflection | undefined };

function parseReflection(text: string): ParsedReflection {
  // Text around the JSON ("Here is my review: ```json …```") is what a model without JSON mode writes.
  const extracted = extractJson(text);
  if (!extracted) return { ok: false, error: 'it holds no JSON object', withoutChange: undefined };
  const parsed = reflectionSchema.safeParse(extracted.parsed);
  if (parsed.success) return { ok: true, value: parsed.data };
  const error = parsed.error.issues.map((i) => `${i.path.join('.') || 'root'}: ${i.message}`).join('; ');
  const answer = extracted.parsed;
  const onlySkill = parsed.error.issues.every((issue) => issue.path[0] === 'skill') && typeof answer === 'object' && answer !== null;
  const rest = onlySkill ? reflectionSchema.safeParse({ ...(answer as Record<string, unknown>), skill: { action: 'none' } }) : undefined;
  return { ok: false, error, withoutChange: rest?.success ? rest.data : undefined };
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
  return headOf(`${reflection.outcome}${reflection.efficient ? '' : ' (inefficient)'}${items.length ? ` — ${items.join('; ')}` : ''}`, 1_000);
}
