/**
 * The LLM judge: the aux model grades the final answer against a rubric (and the
 * expected answer, when the task has one) and replies with JSON `{score, reason}`.
 * The model's reply is outside data, so it goes through zod like any other.
 */
import { z } from 'zod';
import type { CompletionRequest, CompletionResult, ModelClient } from '../../model/types.js';
import { describeError } from '../../core/errors.js';
import type { RewardSpec } from './spec.js';
import type { RewardResult } from './builtin.js';
import { extractJson } from '../../core/json-in-text.js';

export const DEFAULT_RUBRIC =
  'Score 1 when the answer fully and correctly does what the task asks, 0 when it is wrong, unhelpful or missing, and a value in between for partial answers.';

/** A verdict is one short JSON object. */
const JUDGE_MAX_TOKENS = 300;

const verdictSchema = z.object({
  // A number, or a number written as text ("0.8"); no score (null, "", false) is no verdict, not a 0.
  score: z.union([z.number(), z.string().trim().min(1).pipe(z.coerce.number())]).pipe(z.number().min(0).max(1)),
  reason: z.string().optional(),
});

export interface JudgeInput {
  prompt: string;
  answer: string;
  expected: unknown;
  spec: Extract<RewardSpec, { type: 'judge' }>;
}

export interface JudgeOptions {
  model: ModelClient;
  /** The aux model (CAIRN_AUX_MODEL); the spec's own `model` wins. */
  auxModel: string | undefined;
  signal?: AbortSignal;
}

export async function judgeReward(input: JudgeInput, options: JudgeOptions): Promise<RewardResult> {
  const model = input.spec.model ?? options.auxModel;
  const reference = input.expected === undefined ? '' : `\n\n<reference_answer>\n${typeof input.expected === 'string' ? input.expected : JSON.stringify(input.expected)}\n</reference_answer>`;
  const request: CompletionRequest = {
    messages: [
      {
        role: 'system',
        content: [
          'You grade answers of an AI agent. Follow the rubric exactly and be strict.',
          `Rubric: ${input.spec.rubric ?? DEFAULT_RUBRIC}`,
          'Reply with only a JSON object: {"score": <number from 0 to 1>, "reason": "<one sentence>"}.',
        ].join('\n'),
      },
      { role: 'user', content: `<task>\n${input.prompt}\n</task>${reference}\n\n<answer>\n${input.answer}\n</answer>` },
    ],
    ...(model ? { model } : {}),
    purpose: 'judge',
    // Another model grading when this one is down would mix two graders' scores in one run: unscored instead.
    noFallback: true,
    json: true,
    temperature: 0,
    maxTokens: JUDGE_MAX_TOKENS,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  let result: CompletionResult;
  try {
    result = await options.model.complete(request);
  } catch (error) {
    if (options.signal?.aborted) throw error;
    // "custom answered 503 …" alone did not say that it was the judge that could not grade.
    throw new Error(`the judge (${model ?? 'the primary model'}) did not answer: ${describeError(error)}`, { cause: error });
  }
  const extracted = extractJson(result.text);
  const verdict = extracted ? verdictSchema.safeParse(extracted.parsed) : undefined;
  if (!verdict?.success) {
    // A thinking model (Qwen3, DeepSeek-R1 on vLLM) can spend the whole budget on reasoning and reply nothing: "the reply is not …: " blamed an empty answer.
    if (result.finishReason === 'length') {
      throw new Error(`the judge's reply was cut off at ${JUDGE_MAX_TOKENS} tokens before its verdict (a thinking model spends them on its reasoning: judge with a model that answers at once, or turn its thinking off): ${result.text.slice(0, 200)}`);
    }
    throw new Error(`the judge's reply is not {"score": 0..1, "reason": "..."}: ${result.text.slice(0, 200)}`);
  }
  // The model that answered, as its server names it: a dataset says who graded it.
  return { score: verdict.data.score, ...(verdict.data.reason ? { reason: verdict.data.reason } : {}), model: result.model };
}
