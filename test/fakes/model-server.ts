/**
 * A scripted OpenAI-compatible server on 127.0.0.1 for tests and benchmarks.
 *
 *   const server = await startFakeModelServer();
 *   server.enqueue({ text: 'hello' }, { toolCalls: [{ name: 'clock', arguments: {} }] });
 *   // point the real `openai` client (or Cairn's config) at server.url
 *   server.chatRequests()[0]?.messages   // what the client sent
 *   await server.close();
 *
 * Every request is recorded. POST /v1/chat/completions takes its reply from the queue,
 * in order, then from the default (which echoes the last user message). Replies can
 * be text, tool calls, injected HTTP errors, a hang (for timeouts), a raw body (for
 * malformed answers) or a function of the request. `stream: true` requests get the
 * same reply as server-sent events. POST /v1/embeddings answers deterministic vectors
 * (see fakeEmbedding; floats, or base64 when asked as the openai package does);
 * POST /v1/audio/transcriptions answers queued transcripts (or errors); GET /v1/models lists one model.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. /v1/chat/completions. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
}

export interface FakeToolCall {
  name: string;
  /** An object is JSON-stringified; a string is sent as is (to test broken JSON). */
  arguments: unknown;
  /** Defaults to call_<n>, counted per server. */
  id?: string;
}

export interface FakeUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  /** Sent as usage.prompt_tokens_details.cached_tokens. */
  cached_tokens?: number;
  /** Sent as usage.cost, as OpenRouter reports it (US dollars). */
  cost?: number;
}

export type FakeReply =
  /** A normal completion. Usage defaults to roughly chars/4 of the request and the reply. */
  | { text?: string; toolCalls?: FakeToolCall[]; usage?: FakeUsage; finishReason?: string; model?: string; reasoning?: FakeReasoning }
  /** An HTTP error; body defaults to the OpenAI error shape {error: {message, type, code}}. */
  | { error: { status: number; body?: unknown; headers?: Record<string, string> } }
  /** Never answers; the request ends when the client gives up (timeout or abort). */
  | { hang: true }
  /** Exactly this status and body (malformed JSON, a body without choices, …). */
  | { raw: { status: number; body: string; contentType?: string } }
  /** Waits for real before answering: for benchmarks only, tests must not sleep. */
  | { delayMs: number; then: FakeReply }
  /** Held until `after` settles (the test decides when), then answered. */
  | { after: Promise<unknown>; then: FakeReply }
  /**
   * Text streamed piece by piece, waiting for each promise before going on (the test paces
   * the stream), then any tool calls; `drop` cuts the connection after the last piece
   * instead of finishing. A request that does not stream gets it all at once.
   */
  | { stream: (string | Promise<unknown>)[]; toolCalls?: FakeToolCall[]; drop?: boolean }
  /** Decides from the request (e.g. to assert what the client sent). */
  | ((request: RecordedRequest) => FakeReply);

/** A thinking model's reasoning beside the answer, in the field DeepSeek (default) or OpenRouter sends it in. */
export interface FakeReasoning {
  text: string;
  field?: 'reasoning_content' | 'reasoning';
}

/** A chat completion request body as the server received it (loosely typed on purpose). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ChatBody = Record<string, any>;

/** `usage` as OpenAI sends it: tokens for token-billed models, seconds for whisper-1. */
export type FakeTranscription = { text: string; usage?: { type: 'tokens'; input_tokens: number; output_tokens: number; total_tokens: number } | { type: 'duration'; seconds: number } } | { error: { status: number; message?: string } };

export interface FakeModelServer {
  /** Base URL for the openai client: http://127.0.0.1:PORT/v1 */
  url: string;
  /** Every request received, in order (all paths). */
  requests: RecordedRequest[];
  /** Parsed bodies of the POST /chat/completions requests, in order. */
  chatRequests(): ChatBody[];
  /** Queues answers of POST /audio/transcriptions, in order; the default hears "transcribed speech". */
  enqueueTranscription(...replies: FakeTranscription[]): void;
  /** The model and file name of each transcription request (multipart form), in order. */
  transcriptionRequests(): { model: string; fileName: string }[];
  /** Queues replies for the next chat completion requests, consumed in order. */
  enqueue(...replies: FakeReply[]): void;
  /** Replaces the reply used when the queue is empty. */
  setDefault(reply: (request: RecordedRequest) => FakeReply): void;
  /** What GET /models lists (default: fake-model); undefined answers 404, as servers without the route do. An object adds its fields to the entry (vLLM's `max_model_len`). */
  setModels(ids: (string | ListedModel)[] | undefined): void;
  /** The size of the vectors each named embeddings model answers (others: EMBEDDING_DIMENSIONS), as a server serving several does. */
  setEmbeddingDimensions(byModel: Record<string, number>): void;
  /** How many queued replies are not consumed yet. */
  pending(): number;
  /** Ends open requests (hanging ones too) and stops listening. */
  close(): Promise<void>;
}

/** A GET /models entry with the fields a server adds (vLLM's `max_model_len`, OpenRouter's `context_length`). */
export type ListedModel = { id: string } & Record<string, unknown>;

export const EMBEDDING_DIMENSIONS = 64;
/** Streamed text is cut into deltas of this many characters, so tags split across deltas. */
const STREAM_TEXT_PIECE = 5;

export async function startFakeModelServer(options: { defaultReply?: (request: RecordedRequest) => FakeReply } = {}): Promise<FakeModelServer> {
  const requests: RecordedRequest[] = [];
  const queue: FakeReply[] = [];
  const transcriptionQueue: FakeTranscription[] = [];
  let fallback = options.defaultReply ?? echoLastUserMessage;
  let modelIds: (string | ListedModel)[] | undefined = ['fake-model'];
  let embeddingDimensions: Record<string, number> = {};
  const open = new Set<ServerResponse>();
  const ids = { call: 0, completion: 0 };

  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    void readBody(req)
      .then(async (text) => {
        const recorded: RecordedRequest = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0] ?? '/', headers: req.headers, body: parseJson(text) };
        requests.push(recorded);
        await route(recorded, res);
      })
      .catch((error: unknown) => {
        // A throwing reply function is a bug in the test; answer 500 so it shows.
        if (!res.headersSent) sendJson(res, 500, errorBody(500, `fake server: ${String(error)}`));
        else res.destroy();
      });
  });

  async function route(request: RecordedRequest, res: ServerResponse): Promise<void> {
    if (request.method === 'POST' && request.path.endsWith('/chat/completions')) {
      const reply = queue.shift() ?? fallback(request);
      return answerChat(reply, request, res, ids);
    }
    if (request.method === 'POST' && request.path.endsWith('/embeddings')) return answerEmbeddings(request, res, embeddingDimensions);
    if (request.method === 'POST' && request.path.endsWith('/audio/transcriptions')) {
      const reply = transcriptionQueue.shift() ?? { text: 'transcribed speech' };
      if ('error' in reply) return sendJson(res, reply.error.status, errorBody(reply.error.status, reply.error.message ?? 'transcription failed'));
      return sendJson(res, 200, { text: reply.text, ...(reply.usage ? { usage: reply.usage } : {}) });
    }
    if (request.method === 'GET' && request.path.endsWith('/models')) {
      if (!modelIds) return sendJson(res, 404, errorBody(404, 'No route GET /models'));
      return sendJson(res, 200, { object: 'list', data: modelIds.map((entry) => ({ ...(typeof entry === 'string' ? { id: entry } : entry), object: 'model', created: 0, owned_by: 'cairn-tests' })) });
    }
    sendJson(res, 404, errorBody(404, `No route ${request.method} ${request.path}`));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions')).map((r) => r.body as ChatBody),
    enqueue: (...replies) => void queue.push(...replies),
    enqueueTranscription: (...replies) => void transcriptionQueue.push(...replies),
    transcriptionRequests: () =>
      requests
        .filter((r) => r.method === 'POST' && r.path.endsWith('/audio/transcriptions'))
        .map((r) => {
          const form = typeof r.body === 'string' ? r.body : '';
          return { model: /name="model"\r\n\r\n([^\r\n]*)/.exec(form)?.[1] ?? '', fileName: /filename="([^"]*)"/.exec(form)?.[1] ?? '' };
        }),
    setDefault: (reply) => void (fallback = reply),
    setModels: (ids) => void (modelIds = ids),
    setEmbeddingDimensions: (byModel) => void (embeddingDimensions = { ...byModel }),
    pending: () => queue.length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function echoLastUserMessage(request: RecordedRequest): FakeReply {
  const messages = ((request.body as ChatBody | undefined)?.messages ?? []) as { role: string; content: unknown }[];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  return { text: `echo: ${typeof last?.content === 'string' ? last.content : ''}` };
}

async function answerChat(reply: FakeReply, request: RecordedRequest, res: ServerResponse, ids: Counters): Promise<void> {
  if (typeof reply === 'function') return answerChat(reply(request), request, res, ids);
  if ('hang' in reply) return; // never answered; the client's timeout or abort ends it
  if ('after' in reply) {
    await reply.after.catch(() => {});
    return answerChat(reply.then, request, res, ids);
  }
  if ('delayMs' in reply) {
    await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    return answerChat(reply.then, request, res, ids);
  }
  if ('stream' in reply) return paceStream(reply, request, res, ids);
  if ('error' in reply) {
    return sendJson(res, reply.error.status, reply.error.body ?? errorBody(reply.error.status, `injected ${reply.error.status}`), reply.error.headers);
  }
  if ('raw' in reply) {
    res.writeHead(reply.raw.status, { 'content-type': reply.raw.contentType ?? 'application/json' });
    return void res.end(reply.raw.body);
  }
  const body = (request.body ?? {}) as ChatBody;
  const model = reply.model ?? String(body.model ?? 'fake-model');
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({
    id: call.id ?? `call_${++ids.call}`,
    type: 'function' as const,
    function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}) },
  }));
  const text = reply.text ?? (toolCalls.length > 0 ? null : '');
  const finishReason = reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  const usage = buildUsage(reply.usage, JSON.stringify(body.messages ?? []).length, (text ?? '').length + toolCalls.reduce((n, c) => n + c.function.name.length + c.function.arguments.length, 0));
  const reasoning = reply.reasoning ? { [reply.reasoning.field ?? 'reasoning_content']: reply.reasoning.text } : {};
  if (body.stream === true) return streamChat(res, model, { text, reasoning }, toolCalls, finishReason, body.stream_options?.include_usage ? usage : undefined);
  sendJson(res, 200, {
    id: `chatcmpl-${++ids.completion}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, ...reasoning, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish_reason: finishReason, logprobs: null }],
    usage,
  });
}

interface Counters {
  call: number;
  completion: number;
}

interface WireToolCall {
  id: string;
  function: { name: string; arguments: string };
}

/** The same reply as OpenAI streams it: role, text deltas, tool-call deltas, finish, usage, [DONE]. */
function streamChat(res: ServerResponse, model: string, said: { text: string | null; reasoning: Record<string, string> }, toolCalls: WireToolCall[], finishReason: string, usage: object | undefined): void {
  const { text } = said;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const base = { id: 'chatcmpl-stream', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
  const send = (chunk: object) => res.write(`data: ${JSON.stringify({ ...base, ...chunk })}\n\n`);
  const delta = (d: object, finish: string | null = null) => send({ choices: [{ index: 0, delta: d, finish_reason: finish }] });
  delta({ role: 'assistant', content: '' });
  // Reasoning streams first, in pieces, as DeepSeek's does.
  for (const [field, reasoning] of Object.entries(said.reasoning)) for (const piece of piecesOf(reasoning, STREAM_TEXT_PIECE)) delta({ [field]: piece });
  for (const piece of piecesOf(text ?? '', STREAM_TEXT_PIECE)) delta({ content: piece });
  streamToolCalls(delta, toolCalls);
  delta({}, finishReason);
  if (usage) send({ choices: [], usage });
  res.end('data: [DONE]\n\n');
}

async function paceStream(reply: { stream: (string | Promise<unknown>)[]; toolCalls?: FakeToolCall[]; drop?: boolean }, request: RecordedRequest, res: ServerResponse, ids: Counters): Promise<void> {
  const body = (request.body ?? {}) as ChatBody;
  const model = String(body.model ?? 'fake-model');
  const text = reply.stream.filter((piece): piece is string => typeof piece === 'string').join('');
  if (body.stream !== true) return answerChat({ text, ...(reply.toolCalls ? { toolCalls: reply.toolCalls } : {}) }, request, res, ids);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const delta = (d: object, finish: string | null = null) =>
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-paced', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta: d, finish_reason: finish }] })}\n\n`);
  delta({ role: 'assistant', content: '' });
  for (const piece of reply.stream) {
    if (typeof piece === 'string') delta({ content: piece });
    else await piece.catch(() => {});
    if (res.destroyed) return;
  }
  if (reply.drop) return void res.destroy();
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({ id: call.id ?? `call_${++ids.call}`, function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) } }));
  streamToolCalls(delta, toolCalls);
  delta({}, toolCalls.length > 0 ? 'tool_calls' : 'stop');
  res.end('data: [DONE]\n\n');
}

/** Tool calls as OpenAI streams them: name first, then the arguments in pieces. */
function streamToolCalls(delta: (d: object) => void, toolCalls: WireToolCall[]): void {
  toolCalls.forEach((call, index) => {
    delta({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
    for (const piece of piecesOf(call.function.arguments, Math.ceil(call.function.arguments.length / 3))) {
      delta({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  });
}

function answerEmbeddings(request: RecordedRequest, res: ServerResponse, dimensionsByModel: Record<string, number>): void {
  const body = (request.body ?? {}) as ChatBody;
  const dimensions = dimensionsByModel[String(body.model)] ?? EMBEDDING_DIMENSIONS;
  const inputs: string[] = Array.isArray(body.input) ? body.input.map(String) : [String(body.input ?? '')];
  const tokens = inputs.reduce((sum, text) => sum + wordsOf(text).length, 0);
  // The openai package asks for base64 unless told otherwise, and decodes float32 little-endian.
  const base64 = body.encoding_format === 'base64';
  sendJson(res, 200, {
    object: 'list',
    model: String(body.model ?? 'fake-embeddings'),
    data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: base64 ? toBase64(fakeEmbedding(text, dimensions)) : fakeEmbedding(text, dimensions) })),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

/**
 * A normalized hashed bag of lowercase words (64 dimensions unless told): the same text always
 * gives the same vector, and texts that share words get a high cosine similarity.
 */
export function fakeEmbedding(text: string, dimensions = EMBEDDING_DIMENSIONS): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of wordsOf(text)) {
    const hash = createHash('sha256').update(word).digest();
    vector[(hash[0] as number) % dimensions]! += 1;
    vector[(hash[1] as number) % dimensions]! += 0.5;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function buildUsage(usage: FakeUsage | undefined, promptChars: number, completionChars: number) {
  const prompt = usage?.prompt_tokens ?? Math.ceil(promptChars / 4);
  const completion = usage?.completion_tokens ?? Math.ceil(completionChars / 4);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: usage?.cached_tokens ?? 0 },
    ...(usage?.cost !== undefined ? { cost: usage.cost } : {}),
  };
}

function piecesOf(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += Math.max(1, size)) pieces.push(text.slice(i, i + Math.max(1, size)));
  return pieces;
}

function errorBody(status: number, message: string) {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, code: null } };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
