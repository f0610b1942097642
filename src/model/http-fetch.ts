/**
 * The `fetch` the openai client uses: plain node:http(s) over keep-alive agents.
 *
 * Why not Node's built-in fetch: on the machines we measured, its WHATWG stream and
 * Request/Response machinery costs about 1 ms of CPU per model call, three times what
 * the HTTP exchange itself costs. A chat turn makes a handful of calls, but a batch
 * run makes thousands at once and was CPU-bound on exactly this. The response object
 * here implements the part of Response the openai package reads (status, headers,
 * json/text, and `body` as a web stream only when streaming), so a buffered reply
 * never touches web streams at all.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { finished, Readable } from 'node:stream';
import type { ProxyConfig } from '../config/proxy.js';
import { proxyFailure, ProxyRefused } from '../proxy/errors.js';
import { proxyFor } from '../proxy/route.js';
import { proxyAuthorization, TunnelAgent } from '../proxy/tunnel-agent.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface HttpFetchOptions {
  /** Sockets kept per host (default: no limit, as Node's fetch). */
  maxSockets?: number;
  /** Used for request shapes this transport does not handle (streamed request bodies, FormData). */
  fallback?: FetchLike;
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY: https:// goes through a CONNECT tunnel, http:// is forwarded to the proxy. */
  proxy?: ProxyConfig | undefined;
}

export function createHttpFetch(options: HttpFetchOptions = {}): FetchLike {
  const agentOptions = { keepAlive: true, ...(options.maxSockets ? { maxSockets: options.maxSockets } : {}) };
  const agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
  const fallback = options.fallback ?? globalThis.fetch;
  const tunnels = new Map<string, TunnelAgent>();
  const tunnel = (proxy: URL) => tunnels.get(proxy.href) ?? tunnels.set(proxy.href, new TunnelAgent(proxy, agentOptions)).get(proxy.href)!;

  return async (input, init = {}) => {
    const body = init.body ?? undefined;
    if (input instanceof Request || !(body === undefined || typeof body === 'string' || body instanceof Uint8Array)) return fallback(input, init);
    const url = input instanceof URL ? input : new URL(input);
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return fallback(input, init);
    const headers = headersObject(init.headers);
    if (body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const proxy = options.proxy && proxyFor(url, options.proxy);
    // https:// through a proxy: a CONNECT tunnel. http://: the whole address to the proxy, which forwards it.
    const forward = proxy && !secure;
    const send = (forward ? proxy.protocol === 'https:' : secure) ? httpsRequest : httpRequest;
    const destination = forward ? new URL(proxy.origin) : url;
    if (forward) Object.assign(headers, { host: url.host }, proxyAuthorization(proxy));
    const agent = proxy ? (secure ? tunnel(proxy) : proxy.protocol === 'https:' ? agents.https : agents.http) : secure ? agents.https : agents.http;
    return new Promise<Response>((resolve, reject) => {
      const settings = { method: init.method ?? 'GET', headers, agent, ...(forward ? { path: url.href } : {}), ...(signal ? { signal } : {}) };
      const request = send(destination, settings, (message) => {
        // A forwarding proxy's own refusal: said as the proxy's, with what to set, not as the model server's 407.
        const refused = forward && message.statusCode === 407 && options.proxy ? proxyFailure(new ProxyRefused(407, url.host), proxy, url, options.proxy) : undefined;
        if (refused) return message.resume(), reject(new TypeError('fetch failed', { cause: refused }));
        resolve(new NodeResponse(message, url.href) as unknown as Response);
      });
      request.on('error', (error) => reject(signal?.aborted ? abortError(signal) : new TypeError('fetch failed', { cause: (proxy && options.proxy && proxyFailure(error, proxy, url, options.proxy)) || error })));
      request.end(body);
    });
  };
}

function headersObject(init: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  // openai passes a Headers already; copying it into a new one first costs more than the send.
  (init instanceof Headers ? init : new Headers(init)).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
}

const DONE_MARK = /(^|\n)data: ?\[DONE\]/;

/** Whether a streamed reply ended with server-sent events' end mark; undefined when the response did not come through this transport. */
export function endedWithDoneMark(response: Response): boolean | undefined {
  return response instanceof NodeResponse ? response.sawDoneMark : undefined;
}

/** The value of an `error:` line a streamed reply carried (see ErrorLineWatch), if any. */
export function streamedErrorLine(response: Response): string | undefined {
  return response instanceof NodeResponse ? response.errorLine.found : undefined;
}

const ERROR_FIELD = 'error:';

/**
 * Finds an `error:` line in server-sent events. llama.cpp's server (before its late-2025 HTTP
 * rewrite) sends an error it meets after the stream began, such as a prompt over its context
 * size, as `error: {"code":400,"message":…}` and then `data: [DONE]`. That is no field of the
 * format, so the openai package drops it: the reason was lost and the text before it passed
 * as a whole answer. Text comes in as latin1 (one character per byte); the value is read as UTF-8.
 */
export class ErrorLineWatch {
  found: string | undefined;
  /** The current line so far while it may be an error line; undefined inside a line that is not one. */
  private line: string | undefined = '';

  push(text: string): void {
    let at = 0;
    while (this.found === undefined && at < text.length) {
      const end = text.indexOf('\n', at);
      const stop = end < 0 ? text.length : end;
      if (this.line !== undefined) {
        // Only as much of a line as tells whether it is an error line is kept, unless it is one.
        const head = this.line + text.slice(at, Math.min(stop, at + ERROR_FIELD.length));
        if (!ERROR_FIELD.startsWith(head.slice(0, ERROR_FIELD.length))) this.line = undefined;
        else if (head.length < ERROR_FIELD.length) this.line = head;
        else this.line += text.slice(at, stop);
        if (end >= 0 && this.line?.startsWith(ERROR_FIELD)) this.found = Buffer.from(this.line.slice(ERROR_FIELD.length).trim(), 'latin1').toString('utf8');
      }
      if (end < 0) return;
      this.line = '';
      at = end + 1;
    }
  }
}

/** What openai reads of a fetch Response, over an IncomingMessage that is read at most once. */
class NodeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  private parsedHeaders: Headers | undefined;
  readonly redirected = false;
  readonly type = 'basic';
  private consumed = false;
  private webBody: ReadableStream<Uint8Array> | undefined;
  /** A streamed body carried server-sent events' end mark (`data: [DONE]`); one a proxy cut short ends without it. */
  sawDoneMark = false;
  /** An error a streamed body carried in an `error:` line. */
  readonly errorLine = new ErrorLineWatch();

  constructor(
    private readonly message: IncomingMessage,
    readonly url: string,
  ) {
    this.status = message.statusCode ?? 0;
    this.statusText = message.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
  }

  /** Built on first read: a Headers object validates every name and value, and a plain reply reads few. */
  get headers(): Headers {
    if (!this.parsedHeaders) {
      this.parsedHeaders = new Headers();
      const raw = this.message.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) this.parsedHeaders.append(raw[i] as string, raw[i + 1] as string);
    }
    return this.parsedHeaders;
  }

  get bodyUsed(): boolean {
    return this.consumed;
  }

  /** The body as a web stream, for streamed replies (server-sent events); the same stream on every read, as fetch's. */
  get body(): ReadableStream<Uint8Array> {
    return (this.webBody ??= this.watchedForDoneMark(Readable.toWeb(this.message) as ReadableStream<Uint8Array>));
  }

  /** The stream as it is, noting whether `data: [DONE]` passes (the openai package reads it and tells no one), and any `error:` line (which it drops). */
  private watchedForDoneMark(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    let tail = '';
    return stream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          if (!this.sawDoneMark) {
            const latin1 = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
            this.errorLine.push(latin1);
            // The mark may be split between chunks: the end of the last one is looked at again.
            const text = tail + latin1;
            this.sawDoneMark = DONE_MARK.test(text);
            tail = text.slice(-16);
          }
          controller.enqueue(chunk);
        },
      }),
    );
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  private async bytes(): Promise<Buffer> {
    if (this.consumed) throw new TypeError('Body is unusable: Body has already been read');
    this.consumed = true;
    if (!this.webBody) return readWhole(this.message);
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.webBody) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
}

/**
 * The whole body, read in flowing mode: an async iterator over the message (its 'readable'
 * events and read() calls) cost more CPU than the rest of reading a reply. `finished` ends it
 * as the iterator did: with the stream's error, or "Premature close" when the body stopped short.
 */
function readWhole(message: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    finished(message, (error) => (error ? reject(error) : resolve(Buffer.concat(chunks))));
  });
}
