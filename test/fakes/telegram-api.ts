/**
 * A fake Telegram Bot API on 127.0.0.1 for grammY (`client.apiRoot`). Calls arrive as
 * POST /bot<token>/<method> with JSON; every call is recorded. getUpdates long-polls:
 * it is held until an update is queued or its timeout passes, and honours `offset`.
 * The next sendMessage can be made to fail (429 with retry_after, 5xx, or 400
 * "can't parse entities" for bad markup; HTML whose tags do not nest is refused so too, as
 * Telegram's parser does). An unknown token is 401, as on the real API;
 * getWebhookInfo reports the webhook set and a delivery failure the test sets; getFile
 * and GET /file/bot<token>/<path> hand out files the test added. sendDocument takes a
 * multipart upload, as grammY sends an InputFile: the body records it as
 * `document: { fileName, bytes }` (sendPhoto's as `photo`, refused when the bytes are no
 * picture). editMessageText changes a message sent before, and answers as Telegram does
 * when the text is the same or the message is unknown (editMessageReplyMarkup changes or takes
 * away its buttons; deleteMessage refuses one sent "over 48 hours ago"). sendMessageDraft shows a draft in
 * a private chat until the bot sends a message there, or answers 404 as a Bot API older
 * than 9.5. getChatMember answers `member` unless the test set another status (`chatMembers`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMultipart } from './multipart.js';

export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
}

export type SendFailure = 'rate-limit' | 'outage' | 'markup';

export const BOT = { id: 999, is_bot: true, first_name: 'Cairn', username: 'cairn_bot' };

export interface FakeTelegram {
  apiRoot: string;
  token: string;
  calls: RecordedCall[];
  /** Bodies of the messages Telegram accepted (what users see), in order. */
  sent: Record<string, unknown>[];
  /** Bodies of the edits Telegram accepted, in order. */
  edits: Record<string, unknown>[];
  /** Bodies of the drafts (sendMessageDraft) Telegram accepted, in order. */
  drafts: Record<string, unknown>[];
  /** The draft a private chat shows now: gone once the bot sends a message there. */
  draftShown(chatId: number): { draftId: number; text: string } | undefined;
  /** The bot's description and short description (getMy… / setMy…), as the operator or Cairn set them. */
  profile: { description: string; short_description: string };
  /** sendMessageDraft answers 404, as a Bot API server older than 9.5 does. */
  withoutDrafts(): void;
  /** sendMessageDraft answers 400 in this private chat only. */
  refuseDraftsIn(chatId: number): void;
  /** What a message shows now (its last text), by message id. */
  textOf(messageId: number): string | undefined;
  /** The user deleted the message: edits of it fail as on Telegram. */
  deleteMessage(messageId: number): void;
  /** Messages the bot deleted (deleteMessage), by id. */
  deleted: number[];
  /** The buttons (reply_markup) a message shows now, by message id. */
  keyboardOf(messageId: number): unknown;
  /** The message was sent over 48 hours ago: Telegram no longer lets the bot delete it. */
  sentLongAgo(messageId: number): void;
  callsTo(method: string): Record<string, unknown>[];
  /** What getChatMember answers for `<chat>:<user>` besides the user (`{ status: 'left' }`); anyone not set is a `member`. */
  chatMembers: Map<string, Record<string, unknown>>;
  /** Queues an update (update_id assigned) for the next getUpdates; returns the update id. */
  pushUpdate(update: Record<string, unknown>): number;
  /** Re-queues an update with the same id (a duplicate delivery). */
  redeliver(updateId: number): void;
  failNextSend(kind: SendFailure): void;
  /** getUpdates answers as Telegram does when another process polls with the token (409) or it was revoked (401), until called with undefined. */
  refusePolling(reason: 'conflict' | 'unauthorized' | undefined): void;
  /** A file getFile and the download route (/file/bot<token>/<path>) hand out under this id. */
  addFile(fileId: string, bytes: Buffer): void;
  /** Sets the webhook and the failure getWebhookInfo reports for its last delivery, as Telegram records one. */
  setWebhookFailure(url: string, message: string, atSeconds: number): void;
  /** Resolves once `count` messages were accepted. */
  waitForSent(count: number): Promise<Record<string, unknown>[]>;
  /** Resolves once `count` calls of `method` were made. */
  waitFor(method: string, count: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function startFakeTelegram(token = '123456:TEST-token'): Promise<FakeTelegram> {
  const calls: RecordedCall[] = [];
  const sent: Record<string, unknown>[] = [];
  const edits: Record<string, unknown>[] = [];
  const drafts: Record<string, unknown>[] = [];
  const shownDrafts = new Map<number, { draftId: number; text: string }>();
  let draftsSupported = true;
  const draftsRefusedIn = new Set<number>();
  const profile = { description: '', short_description: '' };
  const texts = new Map<number, string>();
  const deleted: number[] = [];
  const keyboards = new Map<number, unknown>();
  const undeletable = new Set<number>();
  const queue: Record<string, unknown>[] = [];
  let pollRefusal: 'conflict' | 'unauthorized' | undefined;
  const delivered = new Map<number, Record<string, unknown>>();
  let nextUpdateId = 1;
  let nextMessageId = 1000;
  let failure: SendFailure | undefined;
  let waiting: { offset: number; res: ServerResponse; timer: NodeJS.Timeout } | undefined;
  const watchers: (() => void)[] = [];
  let webhook: { url: string; last_error_date?: number; last_error_message?: string } = { url: '' };
  const files = new Map<string, Buffer>();
  const chatMembers = new Map<string, Record<string, unknown>>();

  const ok = (res: ServerResponse, result: unknown) => json(res, 200, { ok: true, result });

  function flushPoll(): void {
    if (!waiting) return;
    const pending = queue.filter((u) => (u.update_id as number) >= waiting!.offset);
    if (pending.length === 0) return;
    const { res, timer } = waiting;
    waiting = undefined;
    clearTimeout(timer);
    queue.splice(0, queue.length, ...queue.filter((u) => !pending.includes(u)));
    ok(res, pending);
  }

  const server = createServer((req, res) => {
    void readJson(req).then((body) => {
      const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(req.url ?? '');
      if (download) {
        const bytes = download[1] === token ? files.get(download[2] ?? '') : undefined;
        if (!bytes) return json(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
        return void res.end(bytes);
      }
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      if (!match) return json(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      // As the real Bot API: a token it does not know is 401.
      if (match[1] !== token) return json(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const method = match[2] as string;
      calls.push({ method, body });
      for (const watcher of [...watchers]) watcher();
      // A message the bot sends in a chat takes the place of the draft shown there.
      if (/^send(Message|Photo|Document)$/.test(method)) shownDrafts.delete(Number(body.chat_id));
      switch (method) {
        case 'getMe':
          return ok(res, BOT);
        case 'setWebhook':
          webhook = { url: String(body.url ?? '') };
          return ok(res, true);
        case 'deleteWebhook':
          webhook = { url: '' };
          return ok(res, true);
        case 'getFile': {
          const fileId = String(body.file_id ?? '');
          const path = `voice/${fileId}.oga`;
          if (!files.has(path)) return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
          return ok(res, { file_id: fileId, file_unique_id: `u-${fileId}`, file_size: files.get(path)?.length, file_path: path });
        }
        case 'getWebhookInfo':
          return ok(res, { has_custom_certificate: false, pending_update_count: queue.length, ...webhook });
        case 'getMyDescription':
          return ok(res, { description: profile.description });
        case 'getMyShortDescription':
          return ok(res, { short_description: profile.short_description });
        case 'setMyDescription':
          profile.description = String(body.description ?? '');
          return ok(res, true);
        case 'setMyShortDescription':
          profile.short_description = String(body.short_description ?? '');
          return ok(res, true);
        case 'setMyCommands':
        case 'answerCallbackQuery':
        case 'sendChatAction':
        case 'setMessageReaction':
          return ok(res, true);
        case 'getChatMember': {
          const user = { id: Number(body.user_id), is_bot: false, first_name: 'Member' };
          return ok(res, { status: 'member', ...chatMembers.get(`${String(body.chat_id)}:${String(body.user_id)}`), user });
        }
        case 'getUpdates': {
          if (pollRefusal === 'conflict') return json(res, 409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
          if (pollRefusal === 'unauthorized') return json(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
          const offset = Number(body.offset ?? 0);
          for (const id of [...delivered.keys()]) if (id < offset) delivered.delete(id);
          const timeout = Math.min(Number(body.timeout ?? 0), 2) * 1000;
          if (waiting) ok(waiting.res, []);
          waiting = { offset, res, timer: setTimeout(() => (waiting?.res === res ? ((waiting = undefined), ok(res, [])) : undefined), timeout) };
          res.on('close', () => {
            if (waiting?.res === res) {
              clearTimeout(waiting.timer);
              waiting = undefined;
            }
          });
          return flushPoll();
        }
        case 'sendPhoto': {
          // As Telegram: bytes that are no PNG, JPEG or WebP picture cannot be processed as a photo.
          const bytes = (body.photo as { bytes?: Buffer } | undefined)?.bytes ?? Buffer.alloc(0);
          const picture = bytes.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])) || bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])) || bytes.subarray(8, 12).toString() === 'WEBP';
          if (!picture) return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: IMAGE_PROCESS_FAILED' });
          sent.push(body);
          for (const watcher of [...watchers]) watcher();
          return ok(res, { message_id: nextMessageId++, date: 1, chat: { id: Number(body.chat_id), type: 'private' }, photo: [{ file_id: 'sent', file_unique_id: 'sent', width: 1, height: 1 }] });
        }
        case 'sendDocument': {
          sent.push(body);
          for (const watcher of [...watchers]) watcher();
          return ok(res, { message_id: nextMessageId++, date: 1, chat: { id: Number(body.chat_id), type: 'private' }, document: { file_id: 'sent', file_unique_id: 'sent' } });
        }
        case 'sendMessageDraft': {
          if (!draftsSupported) return json(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
          const chatId = Number(body.chat_id);
          if (!(chatId > 0) || draftsRefusedIn.has(chatId)) return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: TEXTDRAFT_PEER_INVALID' });
          if (!Number(body.draft_id)) return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: draft_id must be non-zero' });
          if (refusedHtml(body)) return json(res, 400, { ok: false, error_code: 400, description: refusedHtml(body) });
          if (failure === 'markup' && body.parse_mode) {
            failure = undefined;
            return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: can't parse entities: unsupported start tag" });
          }
          drafts.push(body);
          shownDrafts.set(chatId, { draftId: Number(body.draft_id), text: String(body.text ?? '') });
          for (const watcher of [...watchers]) watcher();
          return ok(res, true);
        }
        case 'sendMessage': {
          const kind = failure;
          failure = undefined;
          if (kind === 'rate-limit') return json(res, 429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
          if (kind === 'outage') return json(res, 502, { ok: false, error_code: 502, description: 'Bad Gateway' });
          if (kind === 'markup' && body.parse_mode) return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: can't parse entities: unsupported start tag" });
          if (refusedHtml(body)) return json(res, 400, { ok: false, error_code: 400, description: refusedHtml(body) });
          sent.push(body);
          texts.set(nextMessageId, String(body.text));
          if (body.reply_markup) keyboards.set(nextMessageId, body.reply_markup);
          for (const watcher of [...watchers]) watcher();
          return ok(res, { message_id: nextMessageId++, date: 1, chat: { id: body.chat_id, type: 'private' }, text: body.text });
        }
        case 'editMessageText': {
          const messageId = Number(body.message_id);
          const kind = failure;
          failure = undefined;
          if (kind === 'markup' && body.parse_mode) return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: can't parse entities: unsupported start tag" });
          if (!texts.has(messageId)) return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
          if (refusedHtml(body)) return json(res, 400, { ok: false, error_code: 400, description: refusedHtml(body) });
          if (texts.get(messageId) === String(body.text)) {
            return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message' });
          }
          texts.set(messageId, String(body.text));
          // An edit without reply_markup takes the buttons away.
          if (body.reply_markup) keyboards.set(messageId, body.reply_markup);
          else keyboards.delete(messageId);
          edits.push(body);
          for (const watcher of [...watchers]) watcher();
          return ok(res, { message_id: messageId, date: 1, edit_date: 2, chat: { id: body.chat_id, type: 'private' }, text: body.text });
        }
        case 'editMessageReplyMarkup': {
          const messageId = Number(body.message_id);
          if (!texts.has(messageId)) return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
          if (body.reply_markup) keyboards.set(messageId, body.reply_markup);
          else keyboards.delete(messageId);
          return ok(res, { message_id: messageId, date: 1, edit_date: 2, chat: { id: body.chat_id, type: 'private' }, text: texts.get(messageId) });
        }
        case 'deleteMessage': {
          const messageId = Number(body.message_id);
          if (undeletable.has(messageId)) return json(res, 400, { ok: false, error_code: 400, description: "Bad Request: message can't be deleted for everyone" });
          if (!texts.delete(messageId)) return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message to delete not found' });
          deleted.push(messageId);
          return ok(res, true);
        }
        default:
          return json(res, 400, { ok: false, error_code: 400, description: `Bad Request: method ${method} not faked` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    calls,
    sent,
    edits,
    drafts,
    profile,
    draftShown: (chatId) => shownDrafts.get(chatId),
    withoutDrafts: () => void (draftsSupported = false),
    refuseDraftsIn: (chatId) => void draftsRefusedIn.add(chatId),
    textOf: (messageId) => texts.get(messageId),
    deleteMessage: (messageId) => void texts.delete(messageId),
    deleted,
    keyboardOf: (messageId) => keyboards.get(messageId),
    sentLongAgo: (messageId) => void undeletable.add(messageId),
    waitForSent(count) {
      return new Promise((resolve) => {
        const check = () => {
          if (sent.length < count) return false;
          const index = watchers.indexOf(check);
          if (index >= 0) watchers.splice(index, 1);
          resolve(sent.slice());
          return true;
        };
        if (!check()) watchers.push(check);
      });
    },
    chatMembers,
    callsTo: (method) => calls.filter((c) => c.method === method).map((c) => c.body),
    pushUpdate(update) {
      const id = nextUpdateId++;
      const full = { update_id: id, ...update };
      delivered.set(id, full);
      queue.push(full);
      flushPoll();
      return id;
    },
    redeliver(updateId) {
      const update = delivered.get(updateId);
      if (!update) throw new Error(`update ${updateId} was never delivered`);
      // Telegram may send the same message again under a new update id (e.g. after a webhook timeout).
      const copy = { ...update, update_id: nextUpdateId++ };
      queue.push(copy);
      flushPoll();
    },
    failNextSend(kind) {
      failure = kind;
    },
    refusePolling(reason) {
      pollRefusal = reason;
      // The poll held now ends empty, so the next one meets the refusal.
      if (waiting) {
        clearTimeout(waiting.timer);
        ok(waiting.res, []);
        waiting = undefined;
      }
    },
    addFile(fileId, bytes) {
      files.set(`voice/${fileId}.oga`, bytes);
    },
    setWebhookFailure(url, message, atSeconds) {
      webhook = { url, last_error_date: atSeconds, last_error_message: message };
    },
    waitFor(method, count) {
      return new Promise((resolve) => {
        const check = () => {
          const bodies = calls.filter((c) => c.method === method).map((c) => c.body);
          if (bodies.length < count) return false;
          const index = watchers.indexOf(check as () => void);
          if (index >= 0) watchers.splice(index, 1);
          resolve(bodies);
          return true;
        };
        if (!check()) watchers.push(check as () => void);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (waiting) clearTimeout(waiting.timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** As Telegram's HTML parser: tags that do not nest are refused (its answer), undefined when they do or the text is no HTML. */
function refusedHtml(body: Record<string, unknown>): string | undefined {
  if (body.parse_mode !== 'HTML') return undefined;
  const open: string[] = [];
  for (const [, closing, name = ''] of String(body.text ?? '').matchAll(/<(\/?)(\w+)[^>]*>/g)) {
    if (!closing) open.push(name);
    else if (open.pop() !== name) return `Bad Request: can't parse entities: Unmatched end tag "</${name}>"`;
  }
  return open.length > 0 ? `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${open.at(-1)}"` : undefined;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const type = req.headers['content-type'] ?? '';
      if (type.startsWith('multipart/form-data')) return resolve(readMultipart(raw, type));
      try {
        const text = raw.toString('utf8');
        resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {});
      } catch {
        resolve({});
      }
    });
  });
}

/** A multipart body: text fields as they are; a field `attach://name` becomes the uploaded file of that name. */
function readMultipart(raw: Buffer, type: string): Record<string, unknown> {
  const { fields, files } = parseMultipart(raw, type);
  const body: Record<string, unknown> = { ...fields };
  for (const [key, value] of Object.entries(fields)) {
    const attached = value.startsWith('attach://') ? files.get(value.slice('attach://'.length)) : undefined;
    if (attached) body[key] = attached;
  }
  return body;
}
