/** The shared secret redaction, and batch progress on a terminal and in a log. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRedactor, redactText } from '../../src/core/redact.js';
import { ManualClock } from '../../src/core/clock.js';
import { createProgress, formatDuration } from '../../src/rl/progress.js';
import { sampleTrajectory } from './helpers.js';

describe('redaction', () => {
  it('masks known secrets and well-known credential shapes, and leaves ordinary text alone', () => {
    const cases: [string, string][] = [
      ['key sk-proj-AbCdEfGhIjKlMnOpQrStUv12 ok', 'key [redacted] ok'],
      ['slack xoxb-123456789012-abcdefghijkl', 'slack [redacted]'],
      ['app xapp-1-A0123-4567-abcdef', 'app [redacted]'],
      ['gh ghp_abcdefghijklmnopqrstuvwxyz012345', 'gh [redacted]'],
      ['aws AKIAIOSFODNN7EXAMPLE here', 'aws [redacted] here'],
      ['bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq', 'bot [redacted]'],
      ['bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw- ok', 'bot [redacted] ok'],
      ['key AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6-', 'key [redacted]'],
      ['Authorization: Bearer abcdefghijklmnopqrstuvwxyz.123', 'Authorization: Bearer [redacted]'],
      ['DB_PASSWORD=s3cr3tpassw0rd next', 'DB_PASSWORD=[redacted] next'],
      ['"api_key": "0123456789abcdef"', '"api_key": "[redacted]"'],
      // A tool call's arguments are JSON text: its quotes come escaped.
      [JSON.stringify({ path: '.env', content: 'DB_PASSWORD="Xk9-s3cr3t-passw0rd"\n' }), JSON.stringify({ path: '.env', content: 'DB_PASSWORD="[redacted]"\n' })],
      [JSON.stringify(JSON.stringify({ password: 'abcdefgh12345' })), JSON.stringify(JSON.stringify({ password: '[redacted]' }))],
      ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', '[redacted]'],
      // A key read in two pages: each page's half of the body goes with the BEGIN or END line it holds.
      [`lines 1-3\n1│-----BEGIN OPENSSH PRIVATE KEY-----\n2│${'b3BlbnNzaC1rZXktdjE'.repeat(3)}\n3│${'AAAAAwEAAQAAAYEAyQ8'.repeat(3)}\n… 2 more lines`, 'lines 1-3\n1│[redacted]\n… 2 more lines'],
      [`lines 4-5\n4│${'Zx9jL0pQw3rT5yU7iO2'.repeat(3)}\n5│-----END OPENSSH PRIVATE KEY-----`, 'lines 4-5\n[redacted]'],
      ['head -3 id_rsa\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx9nR8fT3ePq1\nZx9jL0pQw3rT5yU7iO2aS4dF6gH8\n', 'head -3 id_rsa\n[redacted]\n'],
      ['The skies are blue; the password policy needs 12 characters.', 'The skies are blue; the password policy needs 12 characters.'],
    ];
    for (const [input, output] of cases) expect(redactText(input)).toBe(output);
  });

  it('masks configured secrets, longest first, deep inside values', () => {
    const redactor = createRedactor(['hunter2-long-secret', 'hunter2-long-secret-extended', 'short']);
    expect(redactor.text('a hunter2-long-secret-extended b short')).toBe('a [redacted] b short');
    const value = { messages: [{ role: 'user', content: 'use hunter2-long-secret' }], n: 3, nested: { list: ['hunter2-long-secret'] } };
    expect(redactor.value(value)).toEqual({ messages: [{ role: 'user', content: 'use [redacted]' }], n: 3, nested: { list: ['[redacted]'] } });
    expect(value.messages[0]?.content).toBe('use hunter2-long-secret'); // a copy, not in place
  });
});

function capture(isTTY: boolean) {
  const writes: string[] = [];
  const stream = Object.assign(new Writable({ write: (chunk: Buffer, _e, done) => (writes.push(chunk.toString()), done()) }), {
    isTTY,
    columns: 120,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  return { stream, text: () => writes.join('') };
}

describe('progress', () => {
  it('prints plain lines at most every interval when not on a terminal, with rate and ETA', () => {
    const clock = new ManualClock(0);
    const out = capture(false);
    const progress = createProgress({ total: 10, alreadyDone: 2, alreadyOk: 1, stream: out.stream, clock, intervalMs: 10_000 });
    clock.advance(1000);
    progress.finished(sampleTrajectory());
    clock.advance(1000);
    progress.finished(sampleTrajectory({ status: 'error' }));
    clock.advance(10_000);
    progress.finished(sampleTrajectory());
    progress.stop();
    const lines = out.text().trimEnd().split('\n');
    expect(lines[0]).toBe('[batch] resuming: 2 of 10 tasks already done');
    // Counts include the resumed tasks (1 ok, 1 failed); the rate is this run's.
    expect(lines[1]).toBe('[batch] 3/10 (30.0%) ok 2 failed 1 · 1.0 tasks/s · ETA 7s');
    expect(lines[2]).toBe('[batch] 5/10 (50.0%) ok 3 failed 2 · 0.3 tasks/s · ETA 20s');
    expect(lines).toHaveLength(4); // and a last line on stop
  });

  it('says ETA 0s once everything is done, also when a resumed run had nothing left', () => {
    const out = capture(false);
    createProgress({ total: 3, alreadyDone: 3, alreadyOk: 3, stream: out.stream, clock: new ManualClock(0) }).stop();
    expect(out.text()).toBe('[batch] resuming: 3 of 3 tasks already done\n[batch] 3/3 (100.0%) ok 3 failed 0 · 0.0 tasks/s · ETA 0s\n');
  });

  it('draws a bar with rate and ETA on a terminal', () => {
    const clock = new ManualClock(0);
    const out = capture(true);
    const progress = createProgress({ total: 4, alreadyDone: 0, stream: out.stream, clock });
    expect(out.text()).toMatch(/0\/4 \| ok 0 failed 0 \| 0\.0\/s \| ETA \?/);
    clock.advance(2000);
    progress.finished(sampleTrajectory());
    progress.stop();
    expect(out.text()).toMatch(/1\/4 \| ok 1 failed 0 \| 0\.5\/s \| ETA 6s/);
  });

  it("gives a resumed run's ETA from this run's rate, not from the tasks it started with", () => {
    const clock = new ManualClock(0);
    const out = capture(true);
    const progress = createProgress({ total: 100, alreadyDone: 90, alreadyOk: 90, stream: out.stream, clock });
    expect(out.text()).toMatch(/90\/100 \| ok 90 failed 0 \| 0\.0\/s \| ETA \?/);
    clock.advance(1000);
    progress.finished(sampleTrajectory());
    progress.stop();
    expect(out.text()).toMatch(/91\/100 \| ok 91 failed 0 \| 1\.0\/s \| ETA 9s/);
  });

  it('formats durations', () => {
    expect([formatDuration(5), formatDuration(75), formatDuration(3725), formatDuration(Number.POSITIVE_INFINITY)]).toEqual(['5s', '1m15s', '1h02m', '?']);
  });
});
