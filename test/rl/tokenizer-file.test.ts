/** Tokens and masks from a tokenizer folder (tokenizer.json + chat template), for trainers without a tokenize endpoint. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { FileTokenizer } from '../../src/rl/atropos/tokenizer-file.js';
import { MASKED, tokensAndMasks } from '../../src/rl/atropos/tokenize.js';
import { decode } from './fakes/tokenize-server.js';
import { writeTokenizerFolder } from './fakes/tokenizer-folder.js';
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
