/**
 * The policy's tokenizer from files, for trainers without a tokenize endpoint: a
 * Hugging Face model folder's `tokenizer.json` and its chat templates, run by
 * @lenml/tokenizers (the tokenizers of transformers.js with its Jinja engine, no native
 * code).
 *
 * Templates are found and chosen as transformers does (PreTrainedTokenizerBase), so the
 * tokens are those vLLM's /tokenize would give:
 * - template files beat tokenizer_config.json's `chat_template`: `chat_template.jinja` (with
 *   any named ones in `additional_chat_templates/<name>.jinja`), then `chat_template.json`;
 * - a folder may hold several named templates (Hermes-2-Pro and Hermes-3 ship "default" and
 *   "tool_use"): "tool_use" renders a conversation offered tools when there is one, "default"
 *   everything else. The "default" of those models knows nothing of tools, so always taking it
 *   would drop the tool signatures and every tool call from the sequence.
 *
 * Messages reach the template as vLLM's /tokenize passes them: tool-call arguments
 * as objects (templates write them with `tojson`), absent content as ''.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { TokenizerLoader } from '@lenml/tokenizers';
import { CairnError } from '../../core/errors.js';
import type { OpenAIMessage, OpenAITool } from '../trajectory.js';
import type { ChatTokenizer } from './tokenize.js';

type LoadedTokenizer = ReturnType<typeof TokenizerLoader.fromPreTrained>;

/** The special tokens transformers passes to every chat template. */
const SPECIAL_TOKENS = ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token'] as const;

/** The name transformers gives a lone template, and picks when no other fits. */
const DEFAULT_TEMPLATE = 'default';
/** The name transformers picks when tools are passed. */
const TOOL_USE_TEMPLATE = 'tool_use';
/** Where transformers saves named templates beside `chat_template.jinja`. */
const ADDITIONAL_TEMPLATES_DIR = 'additional_chat_templates';

/** Template source by name, as a folder ships them. */
type NamedTemplates = Map<string, string>;

export class FileTokenizer implements ChatTokenizer {
  private constructor(
    private readonly tokenizer: LoadedTokenizer,
    private readonly templates: ReadonlyMap<string, Template>,
    private readonly specialTokens: Record<string, string>,
  ) {}

  /** Loads `dir`; throws a CairnError naming the missing or broken file. */
  static load(dir: string): FileTokenizer {
    const tokenizerJSON = readJson(join(dir, 'tokenizer.json'), true) as object;
    const tokenizerConfig = (readJson(join(dir, 'tokenizer_config.json'), false) ?? {}) as Record<string, unknown>;
    const templates = compileTemplates(dir, findTemplates(dir, tokenizerConfig));
    const specialTokens = Object.fromEntries(SPECIAL_TOKENS.flatMap((name) => tokenText(tokenizerConfig[name]).map((text) => [name, text])));
    try {
      // Older configs write special tokens as AddedToken objects; the loader wants their text.
      return new FileTokenizer(TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig: { ...tokenizerConfig, ...specialTokens } }), templates, specialTokens);
    } catch (error) {
      throw new CairnError('config', `${join(dir, 'tokenizer.json')} could not be loaded as a tokenizer: ${(error as Error).message}`, { cause: error });
    }
  }

  async tokenize(messages: readonly OpenAIMessage[], options: { addGenerationPrompt: boolean; tools: readonly OpenAITool[] }): Promise<number[]> {
    const withTools = options.tools.length > 0;
    try {
      const text = this.templateFor(withTools).render({
        ...this.specialTokens,
        messages: messages.map(forTemplate),
        add_generation_prompt: options.addGenerationPrompt,
        ...(withTools ? { tools: options.tools } : {}),
      });
      return this.tokenizer.encode(text, { add_special_tokens: false });
    } catch (error) {
      throw new CairnError('invalid_input', `The chat template failed on a trajectory: ${(error as Error).message}`, { cause: error });
    }
  }

  /** transformers' get_chat_template: "tool_use" when tools are passed and the folder has it, else "default". */
  private templateFor(withTools: boolean): Template {
    const toolUse = withTools ? this.templates.get(TOOL_USE_TEMPLATE) : undefined;
    // load() made sure "default" exists.
    return toolUse ?? (this.templates.get(DEFAULT_TEMPLATE) as Template);
  }
}

function forTemplate(message: OpenAIMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { ...message, content: message.content ?? '' };
  if (message.role === 'assistant' && message.tool_calls) {
    out.tool_calls = message.tool_calls.map((call) => ({ ...call, function: { name: call.function.name, arguments: parseArguments(call.function.arguments) } }));
  }
  return out;
}

/** The folder's templates, from the first place that has any, in transformers' order of priority. */
function findTemplates(dir: string, tokenizerConfig: Record<string, unknown>): NamedTemplates {
  const places = [
    () => templateFiles(dir),
    () => namedTemplates((readJson(join(dir, 'chat_template.json'), false) as { chat_template?: unknown } | undefined)?.chat_template),
    () => namedTemplates(tokenizerConfig.chat_template),
  ];
  for (const place of places) {
    const found = place();
    if (found.size > 0) return found;
  }
  throw new CairnError('config', `${dir} has no chat template (looked in chat_template.jinja, chat_template.json and tokenizer_config.json). Use the model's own tokenizer folder, or the inference server's /tokenize.`);
}

/** `chat_template.jinja` as "default", and `additional_chat_templates/<name>.jinja` by name. */
function templateFiles(dir: string): NamedTemplates {
  const found: NamedTemplates = new Map();
  const main = join(dir, 'chat_template.jinja');
  if (existsSync(main)) found.set(DEFAULT_TEMPLATE, readFileSync(main, 'utf8'));
  const additional = join(dir, ADDITIONAL_TEMPLATES_DIR);
  if (existsSync(additional)) {
    for (const file of readdirSync(additional).filter((name) => name.endsWith('.jinja')).sort()) {
      found.set(file.slice(0, -'.jinja'.length), readFileSync(join(additional, file), 'utf8'));
    }
  }
  return found;
}

/** A template string (named "default"), or a list of `{name, template}` as tokenizer_config.json writes several. */
function namedTemplates(value: unknown): NamedTemplates {
  if (typeof value === 'string') return new Map([[DEFAULT_TEMPLATE, value]]);
  if (!Array.isArray(value)) return new Map();
  const entries = (value as { name?: unknown; template?: unknown }[]).filter((entry): entry is { name: string; template: string } => typeof entry?.name === 'string' && typeof entry.template === 'string');
  return new Map(entries.map((entry) => [entry.name, entry.template]));
}

/** Parses every template now, so a broken one stops the run before it registers; "default" must be among them. */
function compileTemplates(dir: string, sources: NamedTemplates): Map<string, Template> {
  if (!sources.has(DEFAULT_TEMPLATE)) {
    // transformers refuses such a folder too whenever no tools are passed.
    throw new CairnError('config', `${dir} has several chat templates (${[...sources.keys()].join(', ')}) and none named "${DEFAULT_TEMPLATE}". Use the model's own tokenizer folder, or the inference server's /tokenize.`);
  }
  const compiled = new Map<string, Template>();
  for (const [name, source] of sources) {
    try {
      compiled.set(name, new Template(source));
    } catch (error) {
      const which = sources.size > 1 ? ` "${name}"` : '';
      throw new CairnError('config', `The chat template${which} of ${dir} does not parse: ${(error as Error).message}`, { cause: error });
    }
  }
  return compiled;
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
