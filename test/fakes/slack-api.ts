/**
 * A loopback fake of Slack for the real @slack/bolt: the Web API it calls, the
 * response_urls of slash commands, and signed event deliveries it receives.
 *
 *   const slack = await startFakeSlackApi();
 *   // SLACK_API_URL=slack.url, SLACK_BOT_TOKEN=slack.botToken
 *   const events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, SIGNING_SECRET, slack);
 *   await events.message({ text: 'hi', channel: 'D1', channelType: 'im' });
 *   await slack.waitForMessages(1);   // what users saw, in order
 *
 * Web API calls arrive as POST /api/<method> (form-encoded, nested values as JSON, or
 * JSON) with the bot token in the Authorization header; each is recorded. auth.test,
 * conversations.replies (threads the test wrote, with Cairn's posts in them), conversations.history
 * (only whether a DM is one Cairn is in), users.info,
 * chat.postMessage, chat.update (which changes the post in `posts`, or answers
 * message_not_found), reactions.add/remove and apps.connections.open are answered, and
 * files.uploadV2's three steps (files.getUploadURLExternal, the upload to its URL,
 * files.completeUploadExternal, which shares the files as a message) and files.info; any
 * call can be made to fail once (429 with Retry-After, 5xx, or a Slack error string).
 * Socket Mode: apps.connections.open (with the app token) hands out ws://…/link, where
 * the fake says hello and pushes envelopes with `pushSocket`, resolving on the ack; it
 * can drop the connections or ask for a reconnect.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseMultipart } from './multipart.js';

export interface SlackCall {
  method: string;
  body: Record<string, unknown>;
  token: string | undefined;
}

/** A message as the user sees it in Slack. */
export interface SlackPost {
  channel: string;
  threadTs: string | undefined;
  ts: string;
  /** Blocks' text (or the text when there are no blocks), entities decoded. */
  text: string;
  /** Formatted (mrkdwn blocks or text) or shown verbatim (mrkdwn: false). */
  formatted: boolean;
  via: 'chat.postMessage' | 'response_url' | 'files.completeUploadExternal';
  responseType?: string | undefined;
  /** Files shared with it (files.uploadV2: the comment is the text). */
  files?: { name: string; bytes: Buffer }[];
  /** The buttons of its actions blocks: label and value. */
  buttons?: { label: string; value: string }[];
  /** Deleted by the bot (chat.delete). */
  deleted?: boolean;
}

export type SlackFailure =
  /** 429 with Retry-After (seconds, default 1). */
  | 'rate-limit'
  /** HTTP 503. */
  | 'outage'
  /** HTTP 503 after the call did its work (files.completeUploadExternal: the files are shared). */
  | 'outage-after-work'
  /** `invalid_blocks`: the rendered blocks were refused. */
  | 'markup'
  /** The connection is dropped before any answer (a network blip). */
  | 'reset'
  | { error: string }
  | { status: number; retryAfter?: number };

export interface FakeSlackOptions {
  teamId?: string;
  botUserId?: string;
  botId?: string;
  botToken?: string;
  appToken?: string;
  /** The bot token's scopes, sent as X-OAuth-Scopes (default: all Cairn asks for, the history and file scopes included). */
  scopes?: string[];
  /** Members' display names by id, for users.info (default U1 Ada, U2 Bo, U3 Cy); without users:read it is refused. */
  members?: Record<string, string>;
  /** The DMs Cairn is in (its own with a person), which conversations.history reads (default D1, D2, D3); another DM is channel_not_found. */
  directChats?: string[];
  /** The host apps.connections.open names in the socket's address (default 127.0.0.1): a name only a test's proxy resolves. */
  socketHost?: string;
}

export interface FakeSlackApi {
  /** slackApiUrl for Bolt: http://127.0.0.1:PORT/api/ */
  url: string;
  origin: string;
  teamId: string;
  botUserId: string;
  botId: string;
  botToken: string;
  appToken: string;
  calls: SlackCall[];
  posts: SlackPost[];
  /** chat.update calls Slack accepted, in order (the post in `posts` shows the new text). */
  updates: { channel: string; ts: string; text: string; formatted: boolean }[];
  /** Reactions currently on messages, as `channel:ts:name`. */
  reactions: Set<string>;
  /** Every reaction ever added, in order, as `channel:ts:name`. */
  reactionsAdded: string[];
  /** assistant.threads.setStatus calls: `channel:thread_ts:status`. */
  statuses: string[];
  /** assistant.threads.setTitle calls: `channel:thread_ts:title`. */
  titles: string[];
  /** assistant.threads.setSuggestedPrompts calls: where, and the prompts' titles. */
  suggested: { channel: string; threadTs: string; titles: string[] }[];
  callsTo(method: string): SlackCall[];
  /** The next call of `method` (a response_url post is `response_url`, the bytes sent to an upload URL `upload`) fails this way. */
  failNext(method: string, failure: SlackFailure): void;
  /** A file served at the returned url_private_download, to the bot token only. */
  addFile(name: string, bytes: Buffer): string;
  /** A fresh response_url whose posts appear as messages in `channel`. */
  responseUrl(channel: string): string;
  /** Bounded polling until `count` messages (optionally filtered) were posted: 20 s by default, a bound on a stall, not a timing (a loaded 2-core CI machine took 8 s for a long reply). */
  waitForMessages(count: number, filter?: (post: SlackPost) => boolean, timeoutMs?: number): Promise<SlackPost[]>;
  waitForUpdates(count: number): Promise<FakeSlackApi['updates']>;
  /** A message people wrote in a channel (a thread's root, or a reply with thread_ts), for conversations.replies. */
  addThreadMessage(message: { channel: string; ts: string; thread_ts?: string; user?: string; bot_id?: string; text: string }): void;
  /** Open Socket Mode connections. */
  sockets(): number;
  /** Members whose accounts an admin deactivated: users.info answers `deleted: true` for them. */
  deactivated: Set<string>;
  /** Members' profile time zones (`tz`, an IANA name) by id, for users.info; a member not set has none. */
  timeZones: Map<string, string>;
  /** Members' language settings (`locale`, e.g. pt-BR) by id: users.info gives it only when asked with include_locale, as Slack does. */
  locales: Map<string, string>;
  /** Who is in each channel, for conversations.members (pages of `limit`; refused without channels:read); a channel not set has every member. */
  channelMembers: Map<string, string[]>;
  /** Sends a Socket Mode envelope (`events_api`, `slash_commands`) and resolves with the app's ack. */
  pushSocket(type: string, payload: Record<string, unknown>): Promise<{ envelope_id: string; payload?: unknown }>;
  /** Cuts every Socket Mode connection, as a network drop does. */
  dropSockets(): void;
  /** The next Socket Mode connection is refused before the WebSocket opens (HTTP 403). */
  refuseNextSocket(): void;
  /** Asks every Socket Mode client to reconnect (`disconnect`, refresh_requested), as Slack does every few hours. */
  askToReconnect(): void;
  /** Someone turned Socket Mode off in the app's settings: open connections and every new one get `disconnect`, link_disabled, and are closed. */
  disableSocketMode(): void;
  close(): Promise<void>;
}

export async function startFakeSlackApi(options: FakeSlackOptions = {}): Promise<FakeSlackApi> {
  const teamId = options.teamId ?? 'T1';
  const botUserId = options.botUserId ?? 'UBOT';
  const botId = options.botId ?? 'BBOT';
  const botToken = options.botToken ?? 'xoxb-fake-slack-bot-token';
  const appToken = options.appToken ?? 'xapp-fake-slack-app-token';
  const scopes = options.scopes ?? ['app_mentions:read', 'chat:write', 'im:history', 'channels:history', 'groups:history', 'users:read', 'reactions:read', 'reactions:write', 'commands', 'files:read', 'files:write'];
  const members = options.members ?? { U1: 'Ada', U2: 'Bo', U3: 'Cy' };
  const deactivated = new Set<string>();
  const timeZones = new Map<string, string>();
  const locales = new Map<string, string>();
  const channelMembers = new Map<string, string[]>();
  const directChats = new Set(options.directChats ?? ['D1', 'D2', 'D3']);
  const sockets = new Set<WebSocket>();
  const acks = new Map<string, (ack: { envelope_id: string; payload?: unknown }) => void>();
  let envelopeCounter = 0;
  let refuseSocket = false;
  let socketModeOff = false;
  const calls: SlackCall[] = [];
  const posts: SlackPost[] = [];
  const updates: FakeSlackApi['updates'] = [];
  const threadMessages: Parameters<FakeSlackApi['addThreadMessage']>[0][] = [];
  const reactions = new Set<string>();
  const reactionsAdded: string[] = [];
  const statuses: string[] = [];
  const titles: string[] = [];
  const suggested: { channel: string; threadTs: string; titles: string[] }[] = [];
  const failures = new Map<string, SlackFailure[]>();
  const responseUrls = new Map<string, string>();
  const files = new Map<string, Buffer>();
  let tsCounter = 0;
  let urlCounter = 0;

  const nextTs = () => `1700000${String(100 + ++tsCounter).padStart(3, '0')}.${String(tsCounter).padStart(6, '0')}`;

  /** Files announced by files.getUploadURLExternal, by file id, with their bytes once uploaded. */
  const uploads = new Map<string, { name: string; bytes?: Buffer; channels: string[] }>();

  const server = createServer((req, res) => {
    void readBody(req).then((bytes) => route(req, res, bytes));
  });

  function route(req: IncomingMessage, res: ServerResponse, bytes: Buffer): void {
    const raw = bytes.toString('utf8');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const uploadMatch = req.method === 'POST' ? /^\/upload\/(\w+)$/.exec(path) : null;
    if (uploadMatch) {
      const upload = uploads.get(uploadMatch[1] ?? '');
      if (!upload || req.headers.authorization !== `Bearer ${botToken}`) return void res.writeHead(404).end('not found');
      if (injectFailure('upload', res)) return;
      // Slack takes the bytes as they are, or as a multipart form's one file part.
      const type = String(req.headers['content-type'] ?? '');
      const [part] = type.startsWith('multipart/') ? parseMultipart(bytes, type).files.values() : [];
      upload.bytes = part?.bytes ?? bytes;
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${upload.bytes.length}`);
    }
    const fileMatch = req.method === 'GET' ? /^\/files\/(.+)$/.exec(path) : null;
    if (fileMatch) {
      const bytes = files.get(fileMatch[1] ?? '');
      // As Slack does: without the bot token (and files:read) the answer is its sign-in page.
      if (!bytes || req.headers.authorization !== `Bearer ${botToken}`) return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Sign in to Slack</html>');
      return void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length }).end(bytes);
    }
    const respondMatch = /^\/respond\/(\w+)$/.exec(path);
    if (respondMatch && req.method === 'POST') return answerResponseUrl(respondMatch[1] ?? '', res, raw);
    const apiMatch = /^\/api\/([\w.]+)$/.exec(path);
    if (!apiMatch || req.method !== 'POST') return send(res, 404, { ok: false, error: 'unknown_method' });
    const method = apiMatch[1] ?? '';
    const body = parseBody(raw, String(req.headers['content-type'] ?? ''));
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? (typeof body.token === 'string' ? body.token : undefined);
    calls.push({ method, body, token });
    if (injectFailure(method, res)) return;
    if (token !== (method === 'apps.connections.open' ? appToken : botToken)) return send(res, 200, { ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'apps.connections.open':
        return send(res, 200, { ok: true, url: `ws://${options.socketHost ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}/link` });
      case 'auth.test':
        // Slack tells a token's scopes in a header on every Web API answer.
        return send(res, 200, { ok: true, url: 'https://fake.slack.com/', team: 'Fake', user: 'cairn', team_id: teamId, user_id: botUserId, bot_id: botId }, { 'x-oauth-scopes': scopes.join(',') });
      case 'chat.postMessage': {
        const ts = nextTs();
        const channel = String(body.channel ?? '');
        const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
        posts.push({ channel, threadTs, ts, ...seen(body), via: 'chat.postMessage' });
        return send(res, 200, { ok: true, channel, ts, message: { type: 'message', user: botUserId, bot_id: botId, text: body.text, ts, ...(threadTs ? { thread_ts: threadTs } : {}) } });
      }
      case 'chat.delete': {
        const post = posts.find((p) => p.channel === String(body.channel ?? '') && p.ts === String(body.ts ?? '') && p.via === 'chat.postMessage' && !p.deleted);
        if (!post) return send(res, 200, { ok: false, error: 'message_not_found' });
        post.deleted = true;
        return send(res, 200, { ok: true, channel: post.channel, ts: post.ts });
      }
      case 'chat.update': {
        const post = posts.find((p) => p.channel === String(body.channel ?? '') && p.ts === String(body.ts ?? '') && p.via === 'chat.postMessage');
        if (!post) return send(res, 200, { ok: false, error: 'message_not_found' });
        // The update's blocks replace the message's: without an actions block its buttons are gone.
        delete post.buttons;
        Object.assign(post, seen(body));
        updates.push({ channel: post.channel, ts: post.ts, ...seen(body) });
        return send(res, 200, { ok: true, channel: post.channel, ts: post.ts, text: body.text });
      }
      case 'users.info': {
        if (!scopes.includes('users:read')) return send(res, 200, { ok: false, error: 'missing_scope', needed: 'users:read' });
        const name = members[String(body.user ?? '')];
        if (!name) return send(res, 200, { ok: false, error: 'user_not_found' });
        return send(res, 200, { ok: true, user: { id: body.user, name: name.toLowerCase(), deleted: deactivated.has(String(body.user)), ...(timeZones.has(String(body.user)) ? { tz: timeZones.get(String(body.user)) } : {}), ...(String(body.include_locale) === 'true' && locales.has(String(body.user)) ? { locale: locales.get(String(body.user)) } : {}), real_name: `${name} Real`, profile: { display_name: name, real_name: `${name} Real` } } });
      }
      case 'conversations.members': {
        if (!scopes.includes('channels:read')) return send(res, 200, { ok: false, error: 'missing_scope', needed: 'channels:read' });
        const everyone = channelMembers.get(String(body.channel ?? '')) ?? Object.keys(members);
        const start = Number(body.cursor ?? 0);
        const end = start + Number(body.limit ?? 100);
        return send(res, 200, { ok: true, members: everyone.slice(start, end), response_metadata: { next_cursor: end < everyone.length ? String(end) : '' } });
      }
      case 'conversations.history': {
        // Only DMs are looked at this way (is a slash command's DM Cairn's own?): one of others is not found.
        const channel = String(body.channel ?? '');
        if (!scopes.includes('im:history')) return send(res, 200, { ok: false, error: 'missing_scope', needed: 'im:history' });
        if (!directChats.has(channel)) return send(res, 200, { ok: false, error: 'channel_not_found' });
        return send(res, 200, { ok: true, messages: [], has_more: false });
      }
      case 'conversations.replies': {
        // A thread as Slack lists it: root first, oldest to newest, up to `latest`; Cairn's own posts in it too.
        const channel = String(body.channel ?? '');
        const root = String(body.ts ?? '');
        const latest = body.latest === undefined ? Number.POSITIVE_INFINITY : Number(body.latest);
        const inclusive = body.inclusive === true || body.inclusive === 'true';
        const own = posts.filter((p) => p.channel === channel && (p.ts === root || p.threadTs === root) && p.via === 'chat.postMessage').map((p) => ({ ts: p.ts, text: p.text, user: botUserId, bot_id: botId }));
        const written = threadMessages.filter((m) => m.channel === channel && (m.ts === root || m.thread_ts === root));
        const thread = [...written, ...own].sort((a, b) => Number(a.ts) - Number(b.ts));
        if (!thread.some((m) => m.ts === root)) return send(res, 200, { ok: false, error: 'thread_not_found' });
        const upTo = thread.filter((m) => (inclusive ? Number(m.ts) <= latest : Number(m.ts) < latest));
        // Pages of `limit`, from the start; the cursor is where the next page begins.
        const start = Number(body.cursor ?? 0);
        const end = start + Number(body.limit ?? 1000);
        const more = end < upTo.length;
        return send(res, 200, { ok: true, messages: upTo.slice(start, end), has_more: more, ...(more ? { response_metadata: { next_cursor: String(end) } } : {}) });
      }
      case 'files.getUploadURLExternal': {
        const id = `F${String(uploads.size + 1).padStart(4, '0')}`;
        uploads.set(id, { name: String(body.filename ?? ''), channels: [] });
        return send(res, 200, { ok: true, upload_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload/${id}`, file_id: id });
      }
      case 'files.completeUploadExternal': {
        const shared = (Array.isArray(body.files) ? body.files : []) as { id: string }[];
        const done = shared.map((file) => uploads.get(file.id));
        if (done.some((file) => !file?.bytes)) return send(res, 200, { ok: false, error: 'file_not_found' });
        const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
        const text = typeof body.initial_comment === 'string' ? body.initial_comment : '';
        const channel = String(body.channel_id ?? '');
        posts.push({ channel, threadTs, ts: nextTs(), text, formatted: true, via: 'files.completeUploadExternal', files: done.map((file) => ({ name: file?.name ?? '', bytes: file?.bytes ?? Buffer.alloc(0) })) });
        for (const file of shared) uploads.get(file.id)?.channels.push(channel);
        if (failures.get(method)?.[0] === 'outage-after-work') {
          failures.get(method)?.shift();
          return send(res, 503, { ok: false, error: 'service_unavailable' });
        }
        return send(res, 200, { ok: true, files: shared.map((file) => ({ id: file.id, title: uploads.get(file.id)?.name })) });
      }
      case 'files.info': {
        const file = uploads.get(String(body.file ?? ''));
        if (!file) return send(res, 200, { ok: false, error: 'file_not_found' });
        // As Slack reports where a file is shared: by channel id under shares.public or shares.private.
        const shares = Object.fromEntries(file.channels.map((channel) => [channel, [{ ts: '1', channel_name: channel }]]));
        return send(res, 200, { ok: true, file: { id: String(body.file), name: file.name, shares: { public: shares } } });
      }
      case 'reactions.add': {
        const key = `${String(body.channel)}:${String(body.timestamp)}:${String(body.name)}`;
        if (reactions.has(key)) return send(res, 200, { ok: false, error: 'already_reacted' });
        reactions.add(key);
        reactionsAdded.push(key);
        return send(res, 200, { ok: true });
      }
      case 'assistant.threads.setSuggestedPrompts': {
        const prompts = (Array.isArray(body.prompts) ? body.prompts : JSON.parse(String(body.prompts ?? '[]'))) as { title: string }[];
        suggested.push({ channel: String(body.channel_id), threadTs: String(body.thread_ts), titles: prompts.map((prompt) => prompt.title) });
        return send(res, 200, { ok: true });
      }
      case 'assistant.threads.setTitle':
        titles.push(`${String(body.channel_id)}:${String(body.thread_ts)}:${String(body.title)}`);
        return send(res, 200, { ok: true });
      case 'assistant.threads.setStatus': {
        statuses.push(`${String(body.channel_id)}:${String(body.thread_ts)}:${String(body.status)}`);
        return send(res, 200, { ok: true });
      }
      case 'reactions.remove': {
        const key = `${String(body.channel)}:${String(body.timestamp)}:${String(body.name)}`;
        return send(res, 200, reactions.delete(key) ? { ok: true } : { ok: false, error: 'no_reaction' });
      }
      default:
        return send(res, 200, { ok: false, error: 'unknown_method' });
    }
  }

  function answerResponseUrl(id: string, res: ServerResponse, raw: string): void {
    const channel = responseUrls.get(id);
    if (channel === undefined) return void res.writeHead(404).end('expired_url');
    const body = parseBody(raw, 'application/json');
    calls.push({ method: 'response_url', body, token: undefined });
    if (injectFailure('response_url', res)) return;
    posts.push({ channel, threadTs: undefined, ts: nextTs(), ...seen(body), via: 'response_url', responseType: typeof body.response_type === 'string' ? body.response_type : undefined });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  }

  function injectFailure(method: string, res: ServerResponse): boolean {
    if (failures.get(method)?.[0] === 'outage-after-work') return false;
    const failure = failures.get(method)?.shift();
    if (failure === undefined || failure === 'outage-after-work') return false;
    if (failure === 'reset') res.socket?.destroy();
    else if (failure === 'rate-limit') send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
    else if (failure === 'outage') send(res, 503, { ok: false, error: 'service_unavailable' });
    else if (failure === 'markup') send(res, method === 'response_url' ? 400 : 200, { ok: false, error: 'invalid_blocks' });
    else if ('error' in failure) send(res, 200, { ok: false, error: failure.error });
    else send(res, failure.status, { ok: false, error: `http_${failure.status}` }, failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {});
    return true;
  }

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (!(req.url ?? '').startsWith('/link')) return void socket.destroy();
    if (refuseSocket) {
      refuseSocket = false;
      return void socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data) => {
        const ack = safeJson(String(data)) as { envelope_id?: string; payload?: unknown };
        if (ack.envelope_id) acks.get(ack.envelope_id)?.({ envelope_id: ack.envelope_id, payload: ack.payload });
      });
      if (socketModeOff) return linkDisabled(ws);
      ws.send(JSON.stringify({ type: 'hello', num_connections: sockets.size, debug_info: { host: 'fake-slack', approximate_connection_time: 3600 }, connection_info: { app_id: 'A1' } }));
    });
  });

  function linkDisabled(ws: WebSocket): void {
    ws.send(JSON.stringify({ type: 'disconnect', reason: 'link_disabled', debug_info: { host: 'fake-slack' } }));
    ws.close();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}/api/`,
    origin,
    deactivated,
    timeZones,
    locales,
    channelMembers,
    teamId,
    botUserId,
    botId,
    botToken,
    appToken,
    calls,
    posts,
    updates,
    reactions,
    reactionsAdded,
    statuses,
    titles,
    suggested,
    callsTo: (method) => calls.filter((call) => call.method === method),
    failNext: (method, failure) => void failures.set(method, [...(failures.get(method) ?? []), failure]),
    addFile: (name, bytes) => {
      files.set(name, bytes);
      return `${origin}/files/${name}`;
    },
    responseUrl: (channel) => {
      const id = `r${++urlCounter}`;
      responseUrls.set(id, channel);
      return `${origin}/respond/${id}`;
    },
    waitForMessages: async (count, filter = () => true, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = posts.filter(filter);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) throw new Error(`expected ${count} Slack messages, got ${matching.length}: ${JSON.stringify(matching.map((p) => p.text))}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    addThreadMessage: (message) => void threadMessages.push(message),
    waitForUpdates: async (count) => {
      const deadline = Date.now() + 5_000;
      while (updates.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} Slack message updates, got ${updates.length}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return updates.slice();
    },
    sockets: () => sockets.size,
    pushSocket: (type, payload) => {
      const socket = [...sockets][0];
      if (!socket) return Promise.reject(new Error('no Socket Mode connection is open'));
      const envelopeId = `env-${++envelopeCounter}`;
      const acked = new Promise<{ envelope_id: string; payload?: unknown }>((resolve) => acks.set(envelopeId, resolve));
      socket.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' }));
      return acked;
    },
    dropSockets: () => {
      for (const socket of sockets) socket.terminate();
      sockets.clear();
    },
    refuseNextSocket: () => void (refuseSocket = true),
    askToReconnect: () => {
      for (const socket of sockets) socket.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'fake-slack' } }));
    },
    disableSocketMode: () => {
      socketModeOff = true;
      for (const socket of sockets) linkDisabled(socket);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What Slack shows for a chat.postMessage / response_url body. */
function seen(body: Record<string, unknown>): { text: string; formatted: boolean; buttons?: { label: string; value: string }[] } {
  const blocks = Array.isArray(body.blocks) ? (body.blocks as { type?: string; text?: { text?: string }; elements?: { text?: { text?: string }; value?: string }[] }[]) : [];
  const buttons = blocks.filter((block) => block.type === 'actions').flatMap((block) => (block.elements ?? []).map((button) => ({ label: button.text?.text ?? '', value: button.value ?? '' })));
  const sections = blocks.filter((block) => block.type !== 'actions');
  if (blocks.length > 0) return { text: decodeEntities(sections.map((block) => block.text?.text ?? '').join('\n')), formatted: true, ...(buttons.length > 0 ? { buttons } : {}) };
  return { text: decodeEntities(String(body.text ?? '')), formatted: body.mrkdwn !== false && body.mrkdwn !== 'false' };
}

export function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A Web API call's body as an intercept sees it (raw, without its content type): JSON, or a form. */
export function interceptedBody(raw: string): Record<string, unknown> {
  return parseBody(raw, raw.trimStart().startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded');
}

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType.includes('application/json')) {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  const body: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The Web API client sends nested values (blocks) as JSON strings.
    body[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return body;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.alloc(0)));
  });
}

// ---------------------------------------------------------------------------------------
// Slack → Cairn: signed event deliveries, as Slack's servers send them.

/** Slack's request signature: v0= hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`. */
export function signSlackRequest(signingSecret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) };
}

export interface MessageOptions {
  text: string;
  channel?: string;
  /** `im` for DMs, `channel` for public channels. */
  channelType?: 'im' | 'channel' | 'group' | 'mpim';
  /** Sender (default U1); null for a bot message without a user. */
  user?: string | null;
  botId?: string;
  subtype?: string;
  ts?: string;
  threadTs?: string;
  eventId?: string;
  /** Sent as `app_mention` instead of `message`. */
  mention?: boolean;
  /** Files shared with the message (`subtype: file_share`). */
  files?: Record<string, unknown>[];
  /** Sets X-Slack-Retry-Num, as Slack's re-deliveries do. */
  retryNum?: number;
}

export interface SlashOptions {
  text: string;
  command?: string;
  channel?: string;
  channelName?: string;
  user?: string;
  userName?: string;
}

export class SlackEventSender {
  private counter = 0;
  /** The same event id always re-sends the same event (same ts), as Slack's retries do. */
  private readonly byEventId = new Map<string, string>();

  constructor(
    readonly eventsUrl: string,
    private readonly signingSecret: string,
    private readonly slack: FakeSlackApi,
  ) {}

  /** Posts a message or app_mention event; resolves with the HTTP status Bolt answered. */
  async message(options: MessageOptions): Promise<{ status: number; ts: string; eventId: string }> {
    const n = ++this.counter;
    const eventId = options.eventId ?? `Ev${n}`;
    const ts = options.ts ?? this.byEventId.get(eventId) ?? `1600000${String(n).padStart(3, '0')}.${String(n).padStart(6, '0')}`;
    this.byEventId.set(eventId, ts);
    const event = {
      type: options.mention ? 'app_mention' : 'message',
      channel: options.channel ?? 'D1',
      ...(options.mention ? {} : { channel_type: options.channelType ?? 'im' }),
      ...(options.user === null ? {} : { user: options.user ?? 'U1' }),
      ...(options.botId ? { bot_id: options.botId } : {}),
      ...(options.subtype ? { subtype: options.subtype } : {}),
      text: options.text,
      ts,
      event_ts: ts,
      ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
      ...(options.files ? { files: options.files } : {}),
      team: this.slack.teamId,
    };
    const status = await this.post(JSON.stringify(this.envelope(event, eventId)), 'application/json', options.retryNum);
    return { status, ts, eventId };
  }

  /** Posts a slash command (form-encoded, with a response_url on the fake). */
  async slash(options: SlashOptions): Promise<number> {
    const n = ++this.counter;
    const channel = options.channel ?? 'C1';
    const form = new URLSearchParams({
      token: 'legacy-verification-token',
      team_id: this.slack.teamId,
      team_domain: 'fake',
      channel_id: channel,
      channel_name: options.channelName ?? (channel.startsWith('D') ? 'directmessage' : 'general'),
      user_id: options.user ?? 'U1',
      user_name: options.userName ?? 'ada',
      command: options.command ?? '/cairn',
      text: options.text,
      api_app_id: 'A1',
      response_url: this.slack.responseUrl(channel),
      trigger_id: `trigger-${n}`,
    });
    return this.post(form.toString(), 'application/x-www-form-urlencoded');
  }

  /** Presses a button of a message Cairn posted (a block_actions interaction, form-encoded as Slack sends it). */
  async press(options: { value: string; channel?: string; messageTs: string; threadTs?: string; user?: string }): Promise<number> {
    const n = ++this.counter;
    const channel = options.channel ?? 'D1';
    const payload = {
      type: 'block_actions',
      user: { id: options.user ?? 'U1', username: 'ada', team_id: this.slack.teamId },
      api_app_id: 'A1',
      token: 'legacy-verification-token',
      container: { type: 'message', message_ts: options.messageTs, channel_id: channel, is_ephemeral: false },
      trigger_id: `trigger-${n}`,
      team: { id: this.slack.teamId, domain: 'fake' },
      channel: { id: channel, name: channel.startsWith('D') ? 'directmessage' : 'general' },
      message: { type: 'message', ts: options.messageTs, ...(options.threadTs ? { thread_ts: options.threadTs } : {}), text: '' },
      response_url: this.slack.responseUrl(channel),
      actions: [{ type: 'button', action_id: 'cairn_button_1', block_id: 'b1', text: { type: 'plain_text', text: 'Deny' }, value: options.value, action_ts: `1600000${n}.000001` }],
    };
    return this.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
  }

  /** Uses the "Ask Cairn" message shortcut on a message (a message_action interaction). */
  async askAbout(options: { message: Record<string, unknown>; channel?: string; user?: string }): Promise<number> {
    const n = ++this.counter;
    const channel = options.channel ?? 'C1';
    const payload = {
      type: 'message_action',
      callback_id: 'ask_cairn',
      trigger_id: `trigger-${n}`,
      action_ts: `1600000${n}.000002`,
      user: { id: options.user ?? 'U1', username: 'ada', team_id: this.slack.teamId },
      team: { id: this.slack.teamId, domain: 'fake' },
      channel: { id: channel, name: 'general' },
      message: { type: 'message', ...options.message },
      response_url: this.slack.responseUrl(channel),
      token: 'legacy-verification-token',
    };
    return this.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
  }

  /** Any body with any signature (to test that Bolt refuses bad ones). */
  async raw(body: string, headers: Record<string, string>): Promise<number> {
    const response = await fetch(this.eventsUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    await response.arrayBuffer();
    return response.status;
  }

  envelope(event: Record<string, unknown>, eventId: string): Record<string, unknown> {
    return {
      token: 'legacy-verification-token',
      team_id: this.slack.teamId,
      api_app_id: 'A1',
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: 1_600_000_000,
      authorizations: [{ team_id: this.slack.teamId, user_id: this.slack.botUserId, is_bot: true, is_enterprise_install: false }],
    };
  }

  private async post(body: string, contentType: string, retryNum?: number): Promise<number> {
    const retry = retryNum ? { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_timeout' } : {};
    return this.raw(body, { 'content-type': contentType, ...signSlackRequest(this.signingSecret, body), ...retry });
  }
}
