/**
 * A Cairn killed (SIGKILL, OOM, power loss) while a session had a Docker container, then
 * started again on the same data folder: when that session ends without another command
 * (`/new`, the idle end, or the idle sweep at start-up), its container must go, since Docker
 * has no backstop of its own. Nothing is created to stop it, and another Cairn's containers
 * on the same engine stay.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { startFakeDockerEngine, type FakeDockerEngine } from '../fakes/docker-engine.js';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../fakes/model-server.js';
import { ManualTimers } from '../backends/helpers.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

/** A person's message asks for one command; once its result is in, the model answers. */
function reply(request: RecordedRequest) {
  const messages = (request.body as { messages?: { role: string; content?: unknown }[] }).messages ?? [];
  const last = messages.at(-1);
  return last?.role === 'user' && String(last.content).includes('make a note') ? { toolCalls: [{ name: 'terminal', arguments: { command: 'echo hi > note' } }] } : { text: 'done' };
}

describe('a session container left by a killed Cairn', () => {
  let engine: FakeDockerEngine;
  let server: FakeModelServer;
  const open: TestCairn[] = [];
  let messages = 0;
  beforeAll(async () => {
    engine = await startFakeDockerEngine({ images: ['debian:bookworm-slim'] });
    server = await startFakeModelServer({ defaultReply: reply });
  });
  afterEach(async () => {
    for (const cairn of open.splice(0)) await cairn.close().catch(() => undefined);
    engine.containers.clear();
    engine.requests.length = 0;
  });
  afterAll(async () => {
    await server.close();
    await engine.close();
  });

  function start(dataDir: string): { cairn: TestCairn; telegram: RecordingAdapter } {
    const config = testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '1,2', TELEGRAM_ADMIN_USERS: '1,2', CAIRN_REFLECTION: 'off', CAIRN_BACKEND: 'docker', CAIRN_DOCKER_HOST: engine.url }, dataDir);
    config.agent.shutdownGraceMs = 0;
    const cairn = startTestCairn(config, { timers: new ManualTimers() });
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    open.push(cairn);
    return { cairn, telegram };
  }
  const say = (telegram: RecordingAdapter, senderId: string, text: string, command?: string): InboundMessage =>
    telegram.message(text, { messageId: `m${++messages}`, senderId, userId: `telegram:${senderId}`, userName: `u${senderId}`, conversationId: `telegram:dm:${senderId}`, isDirect: true, addressed: true, ...(command ? { command: { name: command, args: '' } } : {}) });
  /** SIGKILL: nothing of the shutdown runs; only the database file is let go. */
  const kill = (cairn: TestCairn) => {
    open.splice(open.indexOf(cairn), 1);
    cairn.db.close();
  };
  const creates = () => engine.requests.filter((request) => request.path === '/containers/create').length;

  it('is removed when the session ends with /new in the restarted Cairn, and nothing new is created for it', async () => {
    const dataDir = tempDir();
    const first = start(dataDir);
    await first.cairn.gateway.receive(say(first.telegram, '1', 'make a note'));
    expect(engine.containers.size).toBe(1);
    // Another Cairn on the same Docker host, with a session of its own.
    const other = { id: 'ctr-other'.padEnd(64, '0'), name: 'cairn-4b1e0c1e-0000-4000-8000-000000000000', create: { Labels: { 'cairn.managed': 'true', 'cairn.session': '4b1e0c1e-0000-4000-8000-000000000000' } }, running: true, hostDir: tempDir(), workingDir: '/workspace' };
    engine.containers.set(other.id, other);
    kill(first.cairn);

    const second = start(dataDir);
    const before = creates();
    await second.cairn.gateway.receive(say(second.telegram, '1', '/new', 'new'));
    // A person who never ran a command ends a session too: nothing is made for it.
    await second.cairn.gateway.receive(say(second.telegram, '2', 'hello'));
    await second.cairn.gateway.receive(say(second.telegram, '2', '/new', 'new'));
    await vi.waitFor(() => expect([...engine.containers.values()].map((container) => container.name)).toEqual([other.name]));
    expect(creates()).toBe(before);
  });

  it('is removed when the idle sweep at start-up ends the session that went idle while Cairn was down', async () => {
    const dataDir = tempDir();
    const first = start(dataDir);
    await first.cairn.gateway.receive(say(first.telegram, '1', 'make a note'));
    expect(engine.containers.size).toBe(1);
    kill(first.cairn);

    const second = start(dataDir);
    second.cairn.manualClock.advance(second.cairn.config.agent.sessionIdleMinutes * 60_000 + 1);
    expect(second.cairn.sessions.sweepIdle()).toHaveLength(1);
    await vi.waitFor(() => expect(engine.containers.size).toBe(0));
    expect(creates()).toBe(1);
  });
});
