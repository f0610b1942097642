/**
 * JSON over node:http, for two things fetch cannot do: send a body with a GET
 * (Atropos' /status-env reads `{env_id}` from the body of a GET, a FastAPI quirk),
 * and tell whether a failed request's body had been sent, which decides whether
 * retrying could deliver it twice.
 *
 * A request that must not be repeated can ask for a connection of its own. Node's agent keeps
 * connections alive between requests, and a server closes an idle one when it likes (uvicorn
 * after 5 s): a request written into one it had just closed fails with a reset once its body is
 * out, so it cannot be told from one the server received. On a new connection that race does
 * not exist.
 */
import http from 'node:http';
import https from 'node:https';
import { CairnError } from '../../core/errors.js';

export interface JsonResponse {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

/** A request that got no HTTP answer. `sent`: the whole body had been handed to the OS. */
export class RequestFailed extends CairnError {
  constructor(message: string, readonly sent: boolean, cause: unknown, code: 'network' | 'timeout' | 'aborted' = 'network', retryable = code !== 'aborted') {
    super(code, message, { cause, isRetryable: retryable, platform: 'atropos' });
    this.name = 'RequestFailed';
  }
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Open a new connection, closed after the answer, instead of reusing a kept-alive one. */
  ownConnection?: boolean | undefined;
}

export function requestJson(method: 'GET' | 'POST', url: string, body: unknown, options: RequestOptions): Promise<JsonResponse> {
  const target = new URL(url);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let sent = false;
    let settled = false;
    const fail = (error: Error, code?: 'timeout' | 'aborted') => {
      if (settled) return;
      settled = true;
      reject(new RequestFailed(`${method} ${target.pathname} failed: ${error.message}`, sent, error, code));
    };
    const request = transport.request(
      target,
      {
        method,
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}) },
        ...(options.signal ? { signal: options.signal } : {}),
        // `false`: an agent for this request alone, which does not keep the connection.
        ...(options.ownConnection ? { agent: false } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => fail(error));
        response.on('end', () => {
          if (settled) return;
          settled = true;
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body: parseBody(text) });
        });
      },
    );
    request.on('finish', () => (sent = true));
    request.setTimeout(options.timeoutMs, () => {
      const error = new Error(`no answer within ${options.timeoutMs} ms`);
      fail(error, 'timeout');
      request.destroy(error);
    });
    request.on('error', (error) => fail(error, options.signal?.aborted ? 'aborted' : undefined));
    request.end(payload);
  });
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
