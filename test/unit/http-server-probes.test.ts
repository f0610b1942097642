/**
 * The three probe paths of `cairn start`'s HTTP server, as Kubernetes asks them: /livez (is the process there: a
 * liveness probe), /readyz (does it take messages: a readiness probe), /healthz (is all well: monitors and alerts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer } from '../../src/http/server.js';

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function probes(port: number): Promise<Record<string, [number, unknown]>> {
  const answers: Record<string, [number, unknown]> = {};
  for (const path of ['/livez', '/readyz', '/healthz']) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    answers[path] = [response.status, await response.json()];
  }
  return answers;
}

describe('probes', () => {
  it('while the platforms connect: alive, not ready, not healthy', async () => {
    server = new HttpServer();
    server.setHealth(() => ({ ok: true, platforms: ['discord'] }));
    server.setState('starting');
    const port = await server.listen(0, '127.0.0.1');
    expect(await probes(port)).toEqual({
      '/livez': [200, { ok: true }],
      '/readyz': [503, { ok: false, state: 'starting' }],
      '/healthz': [503, { ok: false, platforms: ['discord'], state: 'starting' }],
    });
  });

  it('one platform down for good: /healthz says so (503), readiness stays (the other platforms still get their webhooks)', async () => {
    server = new HttpServer();
    server.setHealth(() => ({ ok: false, platforms: ['telegram', 'slack'], problems: { telegram: 'Long polling stopped: Unauthorized' } }));
    server.setState('running');
    const port = await server.listen(0, '127.0.0.1');
    const answers = await probes(port);
    expect(answers['/healthz']?.[0]).toBe(503);
    expect(answers['/readyz']).toEqual([200, { ok: true }]);
    expect(answers['/livez']).toEqual([200, { ok: true }]);
  });

  it('during the shutdown drain: not ready (the pod leaves its Service), still alive (the drain is not killed)', async () => {
    server = new HttpServer();
    server.setHealth(() => ({ ok: true, platforms: ['slack'] }));
    server.setState('stopping');
    const port = await server.listen(0, '127.0.0.1');
    expect(await probes(port)).toEqual({
      '/livez': [200, { ok: true }],
      '/readyz': [503, { ok: false, state: 'stopping' }],
      '/healthz': [503, { ok: false, platforms: ['slack'], state: 'stopping' }],
    });
  });

  it('answers HEAD as GET without a body, refuses other methods, and mounts nothing over them', async () => {
    server = new HttpServer();
    server.mount('/readyz', () => {
      throw new Error('an adapter route may not take a probe path');
    });
    const port = await server.listen(0, '127.0.0.1');
    for (const path of ['/livez', '/readyz']) {
      const head = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'HEAD' });
      expect([head.status, await head.text()]).toEqual([200, '']);
      const post = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST' });
      expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    }
  });
});
