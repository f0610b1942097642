/**
 * A fake Discord for discord.js: REST under /api/v10 and a minimal gateway websocket
 * on the same port (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats), from which
 * tests dispatch MESSAGE_CREATE and INTERACTION_CREATE. Every REST call is recorded;
 * the next message send can fail (429 with retry_after, 5xx, or 50035 for content).
 * GET /applications/@me describes the application, with flags the test can change; GET
 * /guilds/<id> answers for the one server the bot is in, and 403 Missing Access for any other.
 * PATCH of a channel message or of an interaction's follow-up edits it (`edits`); an
 * unknown message is 404 Unknown Message. Application commands are kept per scope (global,
 * each guild) as a bulk overwrite leaves them, and listed by GET of the same route. GET of a
 * guild member answers 404 Unknown Member for those who left (`departed`) or were `banned`, and
 * GET of a guild ban says which (403 Missing Permissions after `hideBans`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMultipart } from './multipart.js';
import { WebSocketServer, type WebSocket } from 'ws';

export const APP_ID = '100000000000000001';
export const BOT_USER = { id: '100000000000000001', username: 'cairn', discriminator: '0', global_name: 'Cairn', avatar: null, bot: true };
export const GUILD_ID = '200000000000000001';
export const CHANNEL_ID = '300000000000000001';
export const DM_CHANNEL_ID = '300000000000000009';
/** A thread under CHANNEL_ID. */
export const THREAD_ID = '300000000000000002';

export interface RestCall {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

export interface SentMessage {
  id: string;
  channelId: string;
  /** 'channel' (a message), 'original' (an interaction's edited reply) or 'followup'. */
  kind: 'channel' | 'original' | 'followup';
  content: string;
  body: Record<string, unknown>;
}

export type SendFailure = 'rate-limit' | 'outage' | 'markup';

export interface FakeDiscord {
  apiUrl: string;
  calls: RestCall[];
  sent: SentMessage[];
  /** Edits of messages sent before (channel messages and follow-ups), in order. */
  edits: { id: string; content: string; body: Record<string, unknown> }[];
  /** What a message shows now, by id. */
  contentOf(id: string): string | undefined;
  /** A user deleted the message: edits of it fail as on Discord. */
  deleteMessage(id: string): void;
  /** Messages the bot deleted (DELETE /channels/:id/messages/:id), by id. */
  removed: string[];
  /** A message people wrote, listed by GET /channels/<id>/messages (with Cairn's own posts there). */
  addChannelMessage(message: Record<string, unknown>): void;
  waitForSent(count: number): Promise<SentMessage[]>;
  waitForCall(method: string, pathPattern: RegExp, count?: number): Promise<RestCall[]>;
  /** Resolves once a client has identified (READY was sent). */
  ready(): Promise<void>;
  dispatch(event: string, data: Record<string, unknown>): void;
  failNextSend(kind: SendFailure): void;
  /** The next interaction callback is acknowledged, but answers 502: a retry meets 40060, already acknowledged. */
  loseNextAcknowledgement(): void;
  /** The next interaction callback comes past Discord's 3 s (a rate limit held it back): 404, Unknown interaction. */
  expireNextAcknowledgement(): void;
  /** Serves `bytes` as an attachment (as Discord's CDN would); returns its URL. */
  addFile(name: string, bytes: Buffer): string;
  /** The application's flags GET /applications/@me reports (default: the Message Content intent on). */
  setApplicationFlags(flags: number): void;
  /** The application commands registered now: globally, or in a guild. */
  commandsIn(guildId?: string): Record<string, unknown>[];
  /** Closes the gateway connections with a close code, as Discord does (4004: the token was refused). */
  closeGateway(code: number): void;
  /** Users no longer members of GUILD_ID (they left, or were removed): GET of their member is 404 Unknown Member. */
  departed: Set<string>;
  /** Users banned from GUILD_ID: no longer members, and GET of their ban finds it. */
  banned: Set<string>;
  /** The bot lacks Ban Members from now on: GET of a ban is 403 Missing Permissions. */
  hideBans(): void;
  close(): Promise<void>;
}

/** ApplicationFlags.GatewayMessageContentLimited: the intent switched on in the portal. */
export const MESSAGE_CONTENT_LIMITED = 1 << 19;

export interface FakeDiscordOptions {
  /** When set, REST calls with another bot token are refused with 401, as Discord does. */
  token?: string;
  /** The bot was added to no server yet (READY lists none; default: it is in GUILD_ID). */
  inNoServer?: boolean;
  /** How long a message with files takes to be answered (a slow uplink), in ms. */
  uploadMs?: number;
  /** Closes the gateway with this code on IDENTIFY, as Discord refuses a login (4004: bad token, 4014: an intent not enabled). */
  refuseIdentify?: number;
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const calls: RestCall[] = [];
  const sent: SentMessage[] = [];
  const edits: FakeDiscord['edits'] = [];
  const contents = new Map<string, string>();
  const written: Record<string, unknown>[] = [];
  const watchers: (() => boolean)[] = [];
  const removed: string[] = [];
  const sockets = new Set<WebSocket>();
  let sequence = 0;
  let nextId = 500_000_000_000_000_000n;
  let failure: SendFailure | undefined;
  const acknowledged = new Set<string>();
  let callbackFailures = 0;
  let lateCallbacks = 0;
  let identified: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => (identified = resolve));
  const interactionChannel = new Map<string, string>();
  let applicationFlags = MESSAGE_CONTENT_LIMITED;
  const files = new Map<string, Buffer>();
  /** Registered commands by route (`/applications/<id>/commands`, or with `/guilds/<id>`). */
  const commands = new Map<string, Record<string, unknown>[]>();
  const [departed, banned, state] = [new Set<string>(), new Set<string>(), { bansHidden: false }];

  const notify = () => {
    for (const watcher of [...watchers]) if (watcher()) watchers.splice(watchers.indexOf(watcher), 1);
  };

  const server = createServer((req, res) => {
    void readJson(req).then((body) => {
      const path = (req.url ?? '/').split('?')[0]?.replace(/^\/api\/v10/, '') ?? '/';
      const method = req.method ?? 'GET';
      const file = method === 'GET' ? /^\/attachments\/(.+)$/.exec(path)?.[1] : undefined;
      if (file !== undefined) {
        // The CDN: attachment URLs need no token.
        const bytes = files.get(file);
        if (!bytes) return json(res, 404, { message: 'Not Found', code: 0 });
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
        return void res.end(bytes);
      }
      calls.push({ method, path, body });
      notify();
      if (options.token !== undefined && req.headers.authorization !== `Bot ${options.token}`) return json(res, 401, { message: '401: Unauthorized', code: 0 });
      const answer = () => route(method, path, body, res, new URLSearchParams((req.url ?? '').split('?')[1] ?? ''));
      if (options.uploadMs && Array.isArray(body.files) && body.files.length > 0) setTimeout(answer, options.uploadMs);
      else answer();
    });
  });

  function route(method: string, path: string, body: Record<string, unknown>, res: ServerResponse, query: URLSearchParams): void {
    const port = (server.address() as AddressInfo).port;
    const single = method === 'GET' ? /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path) : null;
    if (single) {
      const found = written.find((m) => m.channel_id === single[1] && m.id === single[2]);
      return found ? json(res, 200, found) : json(res, 404, { message: 'Unknown Message', code: 10008 });
    }
    const history = method === 'GET' ? /^\/channels\/(\d+)\/messages$/.exec(path) : null;
    if (history) {
      // As Discord lists a channel: newest first, before the given id, at most `limit`.
      const channelId = history[1] as string;
      const before = BigInt(query.get('before') ?? '9'.repeat(19));
      const own = sent.filter((m) => m.kind === 'channel' && m.channelId === channelId).map((m) => messagePayload(m.id, channelId, BOT_USER, contents.get(m.id) ?? m.content));
      const listed = [...written.filter((m) => m.channel_id === channelId), ...own]
        .filter((m) => BigInt(String(m.id)) < before)
        .sort((a, b) => (BigInt(String(b.id)) > BigInt(String(a.id)) ? 1 : -1))
        .slice(0, Number(query.get('limit') ?? 50));
      return json(res, 200, listed);
    }
    if (method === 'GET' && path === '/gateway/bot') {
      return json(res, 200, { url: `ws://127.0.0.1:${port}`, shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 } });
    }
    // A guild the bot is in; any other, as Discord answers a bot that is not a member there.
    const guild = /^\/guilds\/(\d+)$/.exec(path);
    if (method === 'GET' && guild) return guild[1] === GUILD_ID && !options.inNoServer ? json(res, 200, { id: GUILD_ID, name: 'Fake server' }) : json(res, 403, { message: 'Missing Access', code: 50001 });
    const member = method === 'GET' ? /^\/guilds\/(\d+)\/(members|bans)\/(\d+)$/.exec(path) : null;
    if (member) {
      const [, guildId, kind, userId = ''] = member;
      if (guildId !== GUILD_ID || options.inNoServer) return json(res, 403, { message: 'Missing Access', code: 50001 });
      if (kind === 'bans') {
        if (state.bansHidden) return json(res, 403, { message: 'Missing Permissions', code: 50013 });
        return banned.has(userId) ? json(res, 200, { reason: null, user: { id: userId, username: 'someone', discriminator: '0', global_name: null, avatar: null } }) : json(res, 404, { message: 'Unknown Ban', code: 10026 });
      }
      if (departed.has(userId) || banned.has(userId)) return json(res, 404, { message: 'Unknown Member', code: 10007 });
      return json(res, 200, { user: { id: userId, username: 'someone', discriminator: '0', global_name: null, avatar: null }, roles: [], joined_at: new Date(0).toISOString(), deaf: false, mute: false, flags: 0 });
    }
    if (method === 'GET' && path === '/applications/@me') return json(res, 200, { id: APP_ID, name: 'Cairn', description: '', flags: applicationFlags, bot: BOT_USER, approximate_guild_count: options.inNoServer ? 0 : 1 });
    if (method === 'PUT' && /^\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path)) {
      const list = Array.isArray(body) ? body : [];
      const registered = list.map((c: Record<string, unknown>, i: number) => ({ id: String(900 + i), application_id: APP_ID, version: '1', default_member_permissions: null, type: 1, ...c }));
      commands.set(path, registered);
      return json(res, 200, registered);
    }
    if (method === 'GET' && /^\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path)) return json(res, 200, commands.get(path) ?? []);
    if (method === 'POST' && /^\/channels\/\d+\/typing$/.test(path)) return void res.writeHead(204).end();
    const interactionCallback = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    // discord.js fails on an empty JSON body: answer 204 with no content type.
    if (method === 'POST' && interactionCallback) {
      const id = interactionCallback[1] as string;
      if (lateCallbacks > 0 && lateCallbacks--) return json(res, 404, { message: 'Unknown interaction', code: 10062 });
      if (acknowledged.has(id)) return json(res, 400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      acknowledged.add(id);
      // The acknowledgement took, but its answer is lost on the way back.
      if (callbackFailures > 0 && callbackFailures--) return json(res, 502, { message: 'Bad Gateway', code: 0 });
      return void res.writeHead(204).end();
    }
    const channelMessage = /^\/channels\/(\d+)\/messages$/.exec(path);
    const original = /^\/webhooks\/\d+\/([^/]+)\/messages\/(?:@|%40)original$/.exec(path);
    const followup = method === 'POST' ? /^\/webhooks\/\d+\/([^/]+)$/.exec(path) : null;
    const edited = method === 'PATCH' ? (/^\/channels\/\d+\/messages\/(\d+)$/.exec(path) ?? /^\/webhooks\/\d+\/[^/]+\/messages\/(\d+)$/.exec(path)) : null;
    const deleted = method === 'DELETE' ? /^\/channels\/\d+\/messages\/(\d+)$/.exec(path) : null;
    // The deferred reply of an interaction, removed.
    if (method === 'DELETE' && original) return void res.writeHead(204).end();
    if (deleted) {
      if (!contents.delete(deleted[1] as string)) return json(res, 404, { message: 'Unknown Message', code: 10008 });
      removed.push(deleted[1] as string);
      return void res.writeHead(204).end();
    }
    if (edited) {
      const id = edited[1] as string;
      if (!contents.has(id)) return json(res, 404, { message: 'Unknown Message', code: 10008 });
      const content = String(body.content ?? '');
      contents.set(id, content);
      edits.push({ id, content, body });
      notify();
      return json(res, 200, messagePayload(id, CHANNEL_ID, BOT_USER, content));
    }
    if ((method === 'POST' && channelMessage) || (method === 'PATCH' && original) || followup) {
      const kind = failure;
      failure = undefined;
      if (kind === 'rate-limit') return json(res, 429, { message: 'You are being rate limited.', retry_after: 1, global: false }, { 'retry-after': '1', 'x-ratelimit-scope': 'user' });
      if (kind === 'outage') return json(res, 502, { message: 'Bad Gateway', code: 0 });
      if (kind === 'markup' && /\*\*|`|~~/.test(String(body.content ?? ''))) {
        return json(res, 400, { message: 'Invalid Form Body', code: 50035, errors: { content: { _errors: [{ code: 'BASE_TYPE_BAD_CONTENT', message: 'Invalid content' }] } } });
      }
      const token = (original ?? followup)?.[1];
      const channelId = channelMessage?.[1] ?? interactionChannel.get(token ?? '') ?? CHANNEL_ID;
      const id = String(nextId++);
      const message = messagePayload(id, channelId, BOT_USER, String(body.content ?? ''));
      sent.push({ id, channelId, kind: channelMessage ? 'channel' : original ? 'original' : 'followup', content: String(body.content ?? ''), body });
      contents.set(id, String(body.content ?? ''));
      notify();
      return json(res, 200, message);
    }
    json(res, 404, { message: `Unknown route ${method} ${path}`, code: 0 });
  }

  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 }, s: null, t: null }));
    socket.on('message', (raw) => {
      const packet = JSON.parse(String(raw)) as { op: number; d: unknown };
      if (packet.op === 1) socket.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      if (packet.op === 2 && options.refuseIdentify !== undefined) return void socket.close(options.refuseIdentify);
      if (packet.op === 2) {
        const port = (server.address() as AddressInfo).port;
        send(socket, 'READY', { v: 10, user: BOT_USER, guilds: options.inNoServer ? [] : [{ id: GUILD_ID, unavailable: true }], session_id: 'session-1', resume_gateway_url: `ws://127.0.0.1:${port}`, application: { id: APP_ID, flags: 0 } });
        if (!options.inNoServer) send(socket, 'GUILD_CREATE', guildPayload());
        identified();
      }
    });
  });

  function send(socket: WebSocket, event: string, data: unknown): void {
    socket.send(JSON.stringify({ op: 0, t: event, s: ++sequence, d: data }));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    calls,
    sent,
    edits,
    contentOf: (id) => contents.get(id),
    addChannelMessage: (message) => void written.push(message),
    deleteMessage: (id) => void contents.delete(id),
    removed,
    waitForSent: (count) => waitUntil(watchers, () => sent.length >= count, () => sent.slice()),
    waitForCall: (method, pattern, count = 1) => {
      const matching = () => calls.filter((c) => c.method === method && pattern.test(c.path));
      return waitUntil(watchers, () => matching().length >= count, matching);
    },
    ready: () => readyPromise,
    dispatch(event, data) {
      if (event === 'INTERACTION_CREATE') interactionChannel.set(String(data.token), String(data.channel_id));
      for (const socket of sockets) send(socket, event, data);
    },
    loseNextAcknowledgement() {
      callbackFailures++;
    },
    expireNextAcknowledgement() {
      lateCallbacks++;
    },
    failNextSend(kind) {
      failure = kind;
    },
    addFile(name, bytes) {
      files.set(name, bytes);
      return `http://127.0.0.1:${port}/attachments/${name}`;
    },
    commandsIn: (guildId) => commands.get(guildId ? `/applications/${APP_ID}/guilds/${guildId}/commands` : `/applications/${APP_ID}/commands`) ?? [],
    departed,
    banned,
    hideBans: () => void (state.bansHidden = true),
    closeGateway(code) {
      for (const socket of sockets) socket.close(code);
    },
    setApplicationFlags(flags) {
      applicationFlags = flags;
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

export function messagePayload(id: string, channelId: string, author: Record<string, unknown>, content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    channel_id: channelId,
    author,
    content,
    timestamp: new Date(1_700_000_000_000).toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
    ...extra,
  };
}

function guildPayload(): Record<string, unknown> {
  return {
    id: GUILD_ID,
    name: 'Test Guild',
    icon: null,
    owner_id: '1',
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [{ id: GUILD_ID, name: '@everyone', color: 0, hoist: false, position: 0, permissions: '1071698660929', managed: false, mentionable: false, flags: 0 }],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_id: null,
    joined_at: new Date(1_700_000_000_000).toISOString(),
    large: false,
    unavailable: false,
    member_count: 2,
    members: [],
    channels: [{ id: CHANNEL_ID, type: 0, name: 'general', guild_id: GUILD_ID, position: 0, permission_overwrites: [], nsfw: false, parent_id: null }],
    threads: [
      {
        id: THREAD_ID,
        type: 11,
        name: 'incident',
        guild_id: GUILD_ID,
        parent_id: CHANNEL_ID,
        owner_id: '400000000000000001',
        message_count: 0,
        member_count: 1,
        thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date(1_700_000_000_000).toISOString(), locked: false },
      },
    ],
    presences: [],
    voice_states: [],
    preferred_locale: 'en-US',
    premium_tier: 0,
    nsfw_level: 0,
  };
}

function waitUntil<T>(watchers: (() => boolean)[], done: () => boolean, value: () => T): Promise<T> {
  return new Promise((resolve) => {
    const check = () => {
      if (!done()) return false;
      resolve(value());
      return true;
    };
    if (!check()) watchers.push(check);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A JSON body; a multipart one (a message with files) is its payload_json with `files: [{ fileName, bytes }]`. */
function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const type = req.headers['content-type'] ?? '';
      if (type.startsWith('multipart/form-data')) {
        const { fields, files } = parseMultipart(Buffer.concat(chunks), type);
        return resolve({ ...(JSON.parse(fields.payload_json ?? '{}') as Record<string, unknown>), files: [...files.values()] });
      }
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {});
      } catch {
        resolve({});
      }
    });
  });
}

/** `/ask <prompt>` in the guild channel, from `user`, as Discord delivers a slash command. */
export function askInteraction(id: string, token: string, prompt: string, user: Record<string, unknown>): Record<string, unknown> {
  return {
    id,
    application_id: APP_ID,
    type: 2,
    token,
    version: 1,
    guild_id: GUILD_ID,
    channel_id: CHANNEL_ID,
    channel: { id: CHANNEL_ID, type: 0, guild_id: GUILD_ID },
    member: { user, roles: [], joined_at: new Date(0).toISOString(), deaf: false, mute: false, permissions: '0', flags: 0 },
    data: { id: '900', name: 'ask', type: 1, options: [{ name: 'prompt', type: 3, value: prompt }] },
    app_permissions: '0',
    locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: {},
    context: 0,
    attachment_size_limit: 0,
  };
}
