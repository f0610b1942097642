/**
 * The policy's tokenizer from files, for trainers without a tokenize endpoint: a
 * Hugging Face model folder's `tokenizer.json` and its chat template (from
 * `tokenizer_config.json`, or `chat_template.jinja` / `chat_template.json` as newer
 * repositories ship it), run by @lenml/tokenizers (the tokenizers of transformers.js
 * with its Jinja engine, no native code).
 *
 * Messages reach the template as vLLM's /tokenize passes them: tool-call arguments
 * as objects (templates write them with `tojson`), absent content as ''.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { TokenizerLoader } from '@lenml/tokenizers';
import { CairnError } from '../../core/errors.js';
import type { OpenAIMessage, OpenAITool } from '../trajectory.js';
import type { ChatTokenizer } from './tokenize.js';

type LoadedTokenizer = ReturnType<typeof TokenizerLoader.fromPreTrained>;

/** The special tokens transformers passes to every chat template. */
const SPECIAL_TOKENS = ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token'] as const;

export class FileTokenizer implements ChatTokenizer {
  private constructor(
    private readonly tokenizer: LoadedTokenizer,
    private readonly template: Template,
    private readonly specialTokens: Record<string, string>,
  ) {}

  /** Loads `dir`; throws a CairnError naming the missing or broken file. */
  static load(dir: string): FileTokenizer {
    const tokenizerJSON = readJson(join(dir, 'tokenizer.json'), true) as object;
    const tokenizerConfig = (readJson(join(dir, 'tokenizer_config.json'), false) ?? {}) as Record<string, unknown>;
    const template = chatTemplate(tokenizerConfig.chat_template) ?? readTemplateFile(dir);
    if (template === undefined) {
      throw new CairnError('config', `${dir} has no chat template (looked in tokenizer_config.json, chat_template.jinja and chat_template.json). Use the model's own tokenizer folder, or the inference server's /tokenize.`);
    }
    let compiled: Template;
    try {
      compiled = new Template(template);
    } catch (error) {
      throw new CairnError('config', `The chat template of ${dir} does not parse: ${(error as Error).message}`, { cause: error });
    }
    const specialTokens = Object.fromEntries(SPECIAL_TOKENS.flatMap((name) => tokenText(tokenizerConfig[name]).map((text) => [name, text])));
    try {
      // Older configs write special tokens as AddedToken objects; the loader wants their text.
      return new FileTokenizer(TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig: { ...tokenizerConfig, ...specialTokens } }), compiled, specialTokens);
    } catch (error) {
      throw new CairnError('config', `${join(dir, 'tokenizer.json')} could not be loaded as a tokenizer: ${(error as Error).message}`, { cause: error });
    }
  }

  async tokenize(messages: readonly OpenAIMessage[], options: { addGenerationPrompt: boolean; tools: readonly OpenAITool[] }): Promise<number[]> {
    try {
      const text = this.template.render({
        ...this.specialTokens,
        messages: messages.map(forTemplate),
        add_generation_prompt: options.addGenerationPrompt,
        ...(options.tools.length > 0 ? { tools: options.tools } : {}),
      });
      return this.tokenizer.encode(text, { add_special_tokens: false });
    } catch (error) {
      throw new CairnError('invalid_input', `The chat template failed on a trajectory: ${(error as Error).message}`, { cause: error });
    }
  }
}

function forTemplate(message: OpenAIMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { ...message, content: message.content ?? '' };
  if (message.role === 'assistant' && message.tool_calls) {
    out.tool_calls = message.tool_calls.map((call) => ({ ...call, function: { name: call.function.name, arguments: parseArguments(call.function.arguments) } }));
  }
  return out;
}

/** A template string, or the one named "default" of a list of named templates. */
function chatTemplate(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value as { name?: string; template?: string }[];
    return (named.find((entry) => entry.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}

/** A special token as tokenizer_config.json writes it: a string, or {content: ...}. */
function tokenText(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return [(value as { content: string }).content];
  return [];
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // what the model wrote, broken JSON and all
  }
}

function readTemplateFile(dir: string): string | undefined {
  const jinja = join(dir, 'chat_template.jinja');
  if (existsSync(jinja)) return readFileSync(jinja, 'utf8');
  const json = readJson(join(dir, 'chat_template.json'), false) as { chat_template?: string } | undefined;
  return chatTemplate(json?.chat_template);
}

function readJson(path: string, required: boolean): unknown {
  if (!existsSync(path)) {
    if (!required) return undefined;
    throw new CairnError('config', `No ${path}: point the tokenizer setting at a Hugging Face model folder holding tokenizer.json and its chat template.`);
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CairnError('config', `${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
