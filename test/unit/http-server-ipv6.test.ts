/**
 * `cairn start` listened on 0.0.0.0 only: in an IPv6-only pod network (EKS in IPv6 mode, IPv6 single-stack
 * Kubernetes) the kubelet's probe of /healthz and the Slack/Telegram webhooks reach the pod's IPv6 address, and
 * were refused. Without a host Node listens on `::`, which takes IPv4 too (and falls back to 0.0.0.0 without IPv6).
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer } from '../../src/http/server.js';

const ipv6 = await new Promise<boolean>((resolve) => {
  const probe = createServer();
  probe.once('error', () => resolve(false));
  probe.listen(0, '::1', () => probe.close(() => resolve(true)));
});

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the HTTP server without a host', () => {
  it.skipIf(!ipv6)('answers /healthz over IPv6 and over IPv4', async () => {
    server = new HttpServer();
    const port = await server.listen(0);
    expect((await fetch(`http://[::1]:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
