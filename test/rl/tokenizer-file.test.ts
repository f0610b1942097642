/** Tokens and masks from a tokenizer folder (tokenizer.json + chat template), for trainers without a tokenize endpoint. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { FileTokenizer } from '../../src/rl/atropos/tokenizer-file.js';
import { MASKED, tokensAndMasks } from '../../src/rl/atropos/tokenize.js';
import { decode } from './fakes/tokenize-server.js';
import { CHATML_WITH_TOOLS, writeTokenizerFolder } from './fakes/tokenizer-folder.js';
import { sampleTrajectory } from './helpers.js';

describe('a tokenizer folder', () => {
  it("renders the chat template with tool-call arguments as objects, and encodes it without extra special tokens", async () => {
    const { messages, tools } = sampleTrajectory();
    const tokens = await FileTokenizer.load(writeTokenizerFolder()).tokenize(messages, { addGenerationPrompt: false, tools });
    expect(decode(tokens)).toBe(
      '<tools>current_time</tools>\n' +
        '<|im_start|>system\nYou are Cairn.<|im_end|>\n' +
        '<|im_start|>user\nWhat time is it? (t1)<|im_end|>\n' +
        '<|im_start|>assistant\n<tool_call>current_time({"timeZone": "UTC"})</tool_call><|im_end|>\n' +
        '<|im_start|>tool\n{"iso":"2026-11-24T09:00:00.000Z"}<|im_end|>\n' +
        '<|im_start|>assistant\nIt is 09:00 UTC.<|im_end|>\n',
    );
  });

  it("masks everything but the assistant's turns, like the endpoint", async () => {
    const trajectory = sampleTrajectory();
    const { tokens, masks, trained } = await tokensAndMasks(trajectory.messages, trajectory.tools, FileTokenizer.load(writeTokenizerFolder({ templateFile: 'jinja' })));
    expect(trained).toBe('all');
    expect(masks).toHaveLength(tokens.length);
    expect(decode(masks.filter((m) => m !== MASKED))).toBe('<tool_call>current_time({"timeZone": "UTC"})</tool_call><|im_end|>\nIt is 09:00 UTC.<|im_end|>\n');
  });

  it('passes the special tokens to the template, as transformers does', async () => {
    const dir = writeTokenizerFolder({ template: '{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}' });
    const tokens = await FileTokenizer.load(dir).tokenize([{ role: 'user', content: 'hi' }], { addGenerationPrompt: false, tools: [] });
    expect(decode(tokens)).toBe('hi<|im_end|>');
  });

  it('says which file is missing or broken', () => {
    expect(() => FileTokenizer.load(tempDir('cairn-empty-'))).toThrow(/No .*tokenizer\.json: point the tokenizer setting at a Hugging Face model folder/);
    expect(() => FileTokenizer.load(writeTokenizerFolder({ templateFile: 'none' }))).toThrow(/has no chat template/);
    expect(() => FileTokenizer.load(writeTokenizerFolder({ template: '{% for m in messages %}' }))).toThrow(/chat template of .* does not parse/);
    const broken = writeTokenizerFolder();
    writeFileSync(join(broken, 'tokenizer.json'), '{"version": ');
    expect(() => FileTokenizer.load(broken)).toThrow(/tokenizer\.json is not valid JSON/);
  });
});

/**
 * Which template, as transformers' get_chat_template (and so vLLM) chooses: "tool_use" when
 * tools are passed and the folder has it, else "default"; template files before
 * tokenizer_config.json's entry.
 */
describe('a tokenizer folder with several chat templates', () => {
  /** Hermes-3's "default" template in essence: plain ChatML, no tools, no tool calls. */
  const PLAIN_CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

  /** tokenizer_config.json with a list of named templates, as NousResearch Hermes-2-Pro and Hermes-3 ship it. */
  function hermesStyleFolder(templates: { name: string; template: string }[] = [{ name: 'default', template: PLAIN_CHATML }, { name: 'tool_use', template: CHATML_WITH_TOOLS }]): string {
    const dir = writeTokenizerFolder();
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: { content: '<|im_end|>' }, chat_template: templates }));
    return dir;
  }

  it('uses the "tool_use" template when the trajectory has tools, so tool signatures and calls reach the trainer', async () => {
    const { messages, tools } = sampleTrajectory();
    const tokenizer = FileTokenizer.load(hermesStyleFolder());
    const text = decode(await tokenizer.tokenize(messages, { addGenerationPrompt: false, tools }));
    expect(text).toContain('<tools>current_time</tools>');
    expect(text).toContain('<|im_start|>assistant\n<tool_call>current_time({"timeZone": "UTC"})</tool_call><|im_end|>');
    // What the trainer is told the policy wrote in its tool-calling turn.
    const { tokens, masks } = await tokensAndMasks(messages, tools, tokenizer);
    expect(decode(masks.filter((m) => m !== MASKED))).toBe('<tool_call>current_time({"timeZone": "UTC"})</tool_call><|im_end|>\nIt is 09:00 UTC.<|im_end|>\n');
    expect(tokens.length).toBe(masks.length);
  });

  it('uses "default" without tools', async () => {
    const tokenizer = FileTokenizer.load(hermesStyleFolder());
    const text = decode(await tokenizer.tokenize([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true, tools: [] }));
    expect(text).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
  });

  it('reads named templates from additional_chat_templates/ beside chat_template.jinja, as transformers saves them', async () => {
    const dir = writeTokenizerFolder({ template: PLAIN_CHATML, templateFile: 'jinja' });
    mkdirSync(join(dir, 'additional_chat_templates'));
    writeFileSync(join(dir, 'additional_chat_templates', 'tool_use.jinja'), CHATML_WITH_TOOLS);
    const { messages, tools } = sampleTrajectory();
    const tokenizer = FileTokenizer.load(dir);
    expect(decode(await tokenizer.tokenize(messages, { addGenerationPrompt: false, tools }))).toContain('<tools>current_time</tools>');
    expect(decode(await tokenizer.tokenize([{ role: 'user', content: 'hi' }], { addGenerationPrompt: false, tools: [] }))).toBe('<|im_start|>user\nhi<|im_end|>\n');
  });

  it('refuses named templates without a "default", and names a template that does not parse', () => {
    expect(() => FileTokenizer.load(hermesStyleFolder([{ name: 'tool_use', template: CHATML_WITH_TOOLS }, { name: 'rag', template: PLAIN_CHATML }]))).toThrow(/several chat templates \(tool_use, rag\) and none named "default"/);
    expect(() => FileTokenizer.load(hermesStyleFolder([{ name: 'default', template: PLAIN_CHATML }, { name: 'tool_use', template: '{% for m in messages %}' }]))).toThrow(/chat template "tool_use" of .* does not parse/);
  });

  it('takes chat_template.jinja over the chat_template in tokenizer_config.json, which transformers gives priority', async () => {
    const dir = writeTokenizerFolder({ template: PLAIN_CHATML });
    writeFileSync(join(dir, 'chat_template.jinja'), CHATML_WITH_TOOLS);
    const { messages, tools } = sampleTrajectory();
    const text = decode(await FileTokenizer.load(dir).tokenize(messages, { addGenerationPrompt: false, tools }));
    expect(text).toContain('<tool_call>current_time({"timeZone": "UTC"})</tool_call>');
  });
});
