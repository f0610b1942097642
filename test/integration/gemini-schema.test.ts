/**
 * Gemini (its OpenAI-compatible endpoint, and OpenRouter/LiteLLM routes to it) takes tool parameters in
 * the OpenAPI Schema subset and answers 400 "Invalid JSON payload received. Unknown name "$schema" at
 * 'tools[0].function_declarations[0].parameters': Cannot find field." for any other keyword.
 * Zod's schemas carry "$schema" (and exclusiveMinimum, propertyNames): sent as they were, no message
 * got an answer from such a model.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest, type FakeReply } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';

/** Keywords Gemini's function-declaration Schema knows (OpenAPI 3.0 subset). */
const GEMINI_KEYS = new Set(['type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required', 'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering', 'default', 'items', 'minimum', 'maximum', 'additionalProperties']);

function unknownKeys(schema: unknown, at: string, out: string[]): void {
  if (!schema || typeof schema !== 'object') return;
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (!GEMINI_KEYS.has(key)) out.push(`Invalid JSON payload received. Unknown name "${key}" at '${at}': Cannot find field.`);
    if (key === 'properties' && value && typeof value === 'object') for (const [name, sub] of Object.entries(value)) unknownKeys(sub, `${at}.properties[${name}].value`, out);
    if (key === 'items' || key === 'additionalProperties') unknownKeys(value, `${at}.${key}`, out);
  }
}

function geminiLike(request: RecordedRequest): FakeReply {
  const body = request.body as { tools?: { function: { parameters: unknown } }[]; messages: { role: string; content: string }[] };
  const problems: string[] = [];
  (body.tools ?? []).forEach((tool, index) => unknownKeys(tool.function.parameters, `tools[0].function_declarations[${index}].parameters`, problems));
  if (problems.length > 0) return { error: { status: 400, body: { error: { code: 400, message: problems.join('\n'), status: 'INVALID_ARGUMENT' } } } };
  return { text: `echo: ${body.messages.at(-1)?.content}` };
}

let server: FakeModelServer;
let cairn: TestCairn | undefined;
beforeEach(async () => {
  server = await startFakeModelServer({ defaultReply: geminiLike });
});
afterEach(async () => {
  await cairn?.close();
  cairn = undefined;
  await server.close();
});

it('tool schemas use only keywords a Gemini endpoint accepts, so a plain message gets an answer', async () => {
  cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off' }));
  await cairn.gateway.receive(cairn.adapter.message('hello there'));
  const first = server.chatRequests()[0];
  const problems: string[] = [];
  (first?.tools ?? []).forEach((tool: { function: { parameters: unknown } }, index: number) => unknownKeys(tool.function.parameters, `tools[${index}]`, problems));
  expect(cairn.adapter.texts()).toEqual(['echo: hello there']);
  expect(problems).toEqual([]);
  // Admins are offered more tools (terminal, files): theirs pass too.
  const all: string[] = [];
  cairn.tools.definitions({ isAdmin: true }).forEach((tool, index) => unknownKeys(tool.parameters, `tools[${index}]`, all));
  expect(all).toEqual([]);
});
