/**
 * A cheap token estimate (about four characters a token for English and code).
 * Used for budgets, never for billing: billing uses the usage the provider reports.
 */
import type { ChatMessage } from '../model/types.js';

export function estimateTokens(text: string | null | undefined): number {
  if (!text) return 0;
  return Math.ceil(text.length / 4);
}

export function estimateMessageTokens(message: ChatMessage): number {
  const overhead = 4;
  if (message.role === 'assistant') {
    const calls = message.toolCalls?.reduce((sum, call) => sum + estimateTokens(call.name) + estimateTokens(call.arguments), 0) ?? 0;
    return overhead + estimateTokens(message.content) + calls;
  }
  return overhead + estimateTokens(message.content);
}
