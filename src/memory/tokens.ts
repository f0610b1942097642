/**
 * A cheap token estimate, by script: about four characters a token for English and code,
 * two for other alphabets (Cyrillic, Greek, accented Latin), and about one for Chinese,
 * Japanese, Korean and Thai characters, whose text has no spaces for a tokenizer to merge
 * on (an emoji counts as two). Used for budgets, never for billing: billing uses the usage
 * the provider reports. Erring high only means compressing a little early.
 */
import type { ChatMessage } from '../model/types.js';

const NON_ASCII = /[^\t\n\r\x20-\x7e]/;

export function estimateTokens(text: string | null | undefined): number {
  if (!text) return 0;
  if (!NON_ASCII.test(text)) return Math.ceil(text.length / 4);
  let wide = 0;
  let alphabetic = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (isWide(code)) wide++;
    else alphabetic++;
  }
  return Math.ceil((text.length - wide - alphabetic) / 4 + alphabetic / 2 + wide);
}

/** CJK (with kana, Hangul and full-width forms), Thai, and each half of a surrogate pair (emoji, rarer CJK). */
function isWide(code: number): boolean {
  return (code >= 0x2e80 && code <= 0x9fff) || (code >= 0xac00 && code <= 0xd7af) || (code >= 0xd800 && code <= 0xdfff) || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xff00 && code <= 0xffef) || (code >= 0x0e00 && code <= 0x0e7f);
}

export function estimateMessageTokens(message: ChatMessage): number {
  const overhead = 4;
  if (message.role === 'assistant') {
    const calls = message.toolCalls?.reduce((sum, call) => sum + estimateTokens(call.name) + estimateTokens(call.arguments), 0) ?? 0;
    // Reasoning kept for its tool calls is sent back with them (see model/reasoning.ts).
    return overhead + estimateTokens(message.content) + calls + (message.toolCalls?.length && message.reasoning ? estimateTokens(message.reasoning.text) : 0);
  }
  return overhead + estimateTokens(message.content);
}
