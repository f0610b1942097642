/**
 * Scores trajectories. The spec comes from the task, else the run's default
 * (`--reward`), else is inferred from `expected` (see inferRewardSpec). A reward
 * that fails (a judge that will not answer, a custom module that throws) leaves the
 * trajectory unscored with the reason in its errors; it never fails the run.
 */
import type { ModelClient } from '../../model/types.js';
import { CairnError, describeError } from '../../core/errors.js';
import type { Timers } from '../pool.js';
import { finalAnswer, type Trajectory } from '../trajectory.js';
import type { Task } from '../tasks.js';
import { containsReward, exactReward, jsonSchemaReward, numericReward, regexReward, type RewardResult } from './builtin.js';
import { judgeReward } from './judge.js';
import { CustomRewardLoader } from './custom.js';
import { inferRewardSpec, type RewardSpec } from './spec.js';

export interface RewarderOptions {
  /** Directory custom module paths are relative to (the tasks file's). */
  baseDir: string;
  defaultSpec?: RewardSpec | undefined;
  /** For the judge; without one a judge spec is an error on that trajectory. */
  model?: ModelClient | undefined;
  auxModel?: string | undefined;
  /** Longest one custom reward call, or the import of its module, may take (default CUSTOM_REWARD_TIMEOUT_MS). */
  customTimeoutMs?: number;
  /** The timers of those limits (real ones by default; tests pass manual ones). */
  customTimers?: Pick<Timers, 'setTimeout'>;
}

export class Rewarder {
  private readonly custom: CustomRewardLoader;

  constructor(private readonly options: RewarderOptions) {
    this.custom = new CustomRewardLoader(options.baseDir, options.customTimeoutMs, options.customTimers);
  }

  specFor(task: Task): RewardSpec | undefined {
    return task.reward ?? this.options.defaultSpec ?? inferRewardSpec(task.expected);
  }

  /** Fails early on a custom module that cannot load, before any task runs. */
  async preload(tasks: readonly Task[], signal?: AbortSignal): Promise<void> {
    await this.preloadModules(this.customModules(tasks), signal);
  }

  /** The custom reward modules these tasks use, each once. */
  customModules(tasks: readonly Task[]): string[] {
    return [...new Set(tasks.map((task) => this.specFor(task)).flatMap((spec) => (spec?.type === 'custom' ? [spec.module] : [])))];
  }

  /** Loads the modules (each within its time limit); Ctrl-C (`signal`) stops the wait, not only the next task. */
  async preloadModules(modules: readonly string[], signal?: AbortSignal): Promise<void> {
    try {
      await Promise.all(modules.map((module) => this.custom.load(module, signal)));
    } catch (error) {
      if (signal?.aborted) throw new CairnError('aborted', 'Stopped while the reward modules were loading.', { cause: error });
      throw error;
    }
  }

  async score(trajectory: Trajectory, task: Task, signal?: AbortSignal): Promise<RewardResult & { kind: string }> {
    const spec = this.specFor(task);
    if (!spec) throw new Error('no reward');
    const answer = finalAnswer(trajectory);
    const result = await this.scoreWith(spec, answer, trajectory, task, signal);
    return { ...result, kind: spec.type };
  }

  /**
   * The trajectory with `reward` and `rewardDetail` set (or cleared, when the task
   * has no reward). Only finished trajectories are scored: an error or timeout
   * stays unscored, so it cannot pass for a wrong answer.
   */
  async apply(trajectory: Trajectory, task: Task, signal?: AbortSignal): Promise<Trajectory> {
    const errors = trajectory.errors.filter((error) => error.code !== 'reward');
    const unscored = { ...trajectory, errors, reward: null, rewardDetail: null };
    if (trajectory.status !== 'ok' || !this.specFor(task)) return unscored;
    try {
      const { kind, score, reason, model } = await this.score(trajectory, task, signal);
      const rewardDetail = { kind, score, ...(reason === undefined ? {} : { reason }), ...(model === undefined ? {} : { model }) };
      return { ...trajectory, errors, reward: score, rewardDetail };
    } catch (error) {
      if (signal?.aborted) throw error;
      return { ...unscored, errors: [...errors, { code: 'reward', message: describeError(error) }] };
    }
  }

  private scoreWith(spec: RewardSpec, answer: string, trajectory: Trajectory, task: Task, signal: AbortSignal | undefined): Promise<RewardResult> | RewardResult {
    switch (spec.type) {
      case 'exact':
        return exactReward(answer, task.expected, spec);
      case 'contains':
        return containsReward(answer, task.expected, spec);
      case 'regex':
        return regexReward(answer, task.expected, spec);
      case 'json-schema':
        return jsonSchemaReward(answer, task.expected, spec);
      case 'numeric':
        return numericReward(answer, task.expected, spec);
      case 'judge': {
        if (!this.options.model) throw new Error('the judge needs a model: configure one (cairn doctor says how)');
        const options = { model: this.options.model, auxModel: this.options.auxModel, ...(signal ? { signal } : {}) };
        return judgeReward({ prompt: task.prompt, answer, expected: task.expected, spec }, options);
      }
      case 'custom':
        // The spec in effect's options, --reward's too: a task without a reward of its own has none to read them from.
        return this.custom.score(spec.module, trajectory, task, spec.options ?? {}, signal);
    }
  }
}
