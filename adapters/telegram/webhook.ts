/**
 * The webhook route (TELEGRAM_WEBHOOK_URL) on the shared HTTP server. grammY's webhookCallback
 * checks the secret-token header (in constant time) and hands the update to the bot; the update
 * comes from here rather than from grammY's 'http' adapter, which reads a body of any length
 * into memory: here it is read only once the secret matched, and at most MAX_UPDATE_BYTES.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { webhookCallback, type Bot } from 'grammy';
import type { Update } from 'grammy/types';
import type { RouteHandler } from '../../src/http/server.js';

/** Far above any update Telegram sends (a message is at most 4,096 characters, with its entities and the message it replies to). */
export const MAX_UPDATE_BYTES = 1024 * 1024;
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/** The route's answer to a body it will not take, with the HTTP status that says why. */
class RefusedBody extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The handler to mount. `handling` is false before start() has set the update handlers and once the
 * adapter stops taking updates (shutdown, before the turns in flight drain): an update then gets 503,
 * so Telegram sends it again (to this process once it runs, or to the next one) instead of it being
 * acknowledged and answered by nothing, or only by "Cairn is restarting".
 */
export function webhookRoute(bot: Bot, secretToken: string, handling: () => boolean): RouteHandler {
  const handle = webhookCallback(bot, nodeRequest, { secretToken });
  return async (req, res) => {
    if (!handling()) {
      res.writeHead(503, { 'retry-after': '5', 'content-type': 'text/plain' }).end('not taking updates now');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('POST only');
      return;
    }
    try {
      await handle(req, res);
    } catch (error) {
      if (!(error instanceof RefusedBody) || res.headersSent) throw error;
      res.writeHead(error.status, { 'content-type': 'text/plain' }).end(`${error.message}\n`);
    }
  };
}

/** grammY's view of one request: `update` is a getter, so the body is read only after the secret check. */
function nodeRequest(req: IncomingMessage, res: ServerResponse) {
  const sent = req.headers[SECRET_HEADER];
  const header = Array.isArray(sent) ? sent[0] : sent;
  return {
    get update(): Promise<Update> {
      return readUpdate(req);
    },
    // Left out when the request has none: grammY then refuses it.
    ...(header === undefined ? {} : { header }),
    end: () => void res.end(),
    respond: (json: string) => void res.writeHead(200, { 'content-type': 'application/json' }).end(json),
    unauthorized: () => void res.writeHead(401, { 'content-type': 'text/plain' }).end('secret token is wrong'),
  };
}

function readUpdate(req: IncomingMessage): Promise<Update> {
  const tooLarge = () => new RefusedBody(413, `An update is at most ${MAX_UPDATE_BYTES} bytes.`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_UPDATE_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_UPDATE_BYTES) return void chunks.push(chunk);
      // The rest still flows, and is dropped as it comes: nothing more is kept, and the client reads the 413
      // (closing the connection with its data unread would reset it, losing the answer).
      req.off('data', onData);
      chunks.length = 0;
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('error', reject);
    // A client gone before the end: nothing more comes (after the end this changes nothing).
    req.once('close', () => reject(new Error('the request closed before its body ended')));
    req.once('end', () => {
      if (size > MAX_UPDATE_BYTES) return;
      try {
        // grammY takes the update as Telegram sent it; only JSON that is an object is one.
        const update: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (update === null || typeof update !== 'object' || Array.isArray(update)) throw new Error('not an object');
        resolve(update as Update);
      } catch {
        reject(new RefusedBody(400, 'The body is no JSON update.'));
      }
    });
  });
}
