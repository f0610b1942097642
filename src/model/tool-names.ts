/**
 * A tool call's name as it may go back to the provider. APIs refuse a history whose
 * `tool_calls[].function.name` is not `[a-zA-Z0-9_-]{1,64}`, and one such call (a
 * `<tool_call>` block with broken JSON has no name; some models write `functions.x`)
 * made every later request of the conversation fail. The registry tells the model what
 * went wrong with one it cannot read.
 */
export const INVALID_TOOL_NAME = 'invalid_tool_call';

export function toolNameFor(name: string): string {
  const bare = name.trim().replace(/^(?:functions?|tools?)[.:]/, '');
  return /^[a-zA-Z0-9_-]{1,64}$/.test(bare) ? bare : INVALID_TOOL_NAME;
}
