/**
 * A Hugging Face tokenizer folder written for tests: a character-level WordLevel
 * tokenizer (every ASCII character is its own token, id = code point, so tokens
 * decode with String.fromCodePoint like the fake /tokenize) and a ChatML template
 * that writes tool calls with `tojson`, as Hermes and Qwen templates do.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/cairn.js';

export const CHATML_WITH_TOOLS = [
  '{%- if tools %}<tools>{% for t in tools %}{{ t.function.name }}{% if not loop.last %},{% endif %}{% endfor %}</tools>\n{% endif %}',
  '{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}',
  '{%- if m.tool_calls %}{% for c in m.tool_calls %}<tool_call>{{ c.function.name }}({{ c.function.arguments | tojson }})</tool_call>{% endfor %}{% endif %}',
  '<|im_end|>\n{% endfor %}',
  '{%- if add_generation_prompt %}<|im_start|>assistant\n{% endif %}',
].join('');

export function writeTokenizerFolder(options: { template?: string | undefined; templateFile?: 'config' | 'jinja' | 'none' } = {}): string {
  const dir = tempDir('cairn-tokenizer-');
  const vocab: Record<string, number> = {};
  for (let code = 0; code < 128; code++) vocab[String.fromCharCode(code)] = code;
  const tokenizer = {
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: '[\\s\\S]' }, behavior: 'Isolated', invert: false },
    model: { type: 'WordLevel', vocab, unk_token: '\u0000' },
    post_processor: null,
    decoder: null,
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  const template = options.template ?? CHATML_WITH_TOOLS;
  const where = options.templateFile ?? 'config';
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: { content: '<|im_end|>' }, ...(where === 'config' ? { chat_template: template } : {}) }));
  if (where === 'jinja') writeFileSync(join(dir, 'chat_template.jinja'), template);
  return dir;
}
