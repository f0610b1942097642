/**
 * Credential shapes a person pastes or a command prints (`env`, `cat ~/.aws/credentials`, `git remote -v`,
 * `curl -v`), masked wherever Cairn keeps text for later (notes, exports, trajectories, audit reports, logs);
 * and ordinary text beside them (hashes, ids, images, code that reads a secret from somewhere) left as it was.
 */
import { describe, expect, it } from 'vitest';
import { redactText } from '../../src/core/redact.js';

const TIMEOUT_MS = 10_000;

describe('credential shapes', () => {
  it.each([
    ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [redacted]'],
    ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_SECRET_ACCESS_KEY=[redacted]'],
    ['SECRET_KEY_BASE=9a8b7c6d5e4f3a2b1c0d', 'SECRET_KEY_BASE=[redacted]'],
    ['GITLAB_TOKEN=glpat-Zq8xY2wV4uT6sR1pO3nM', 'GITLAB_TOKEN=[redacted]'],
    ['use glpat-Zq8xY2wV4uT6sR1pO3nM', 'use [redacted]'],
    ['hf_abcdefghijklmnopqrstuvwxyzABCDEFGH and sk_live_51Habcdefghijklmnopqrstuv', '[redacted] and [redacted]'],
    ['DATABASE_URL=postgres://app:S3cr3tPassw0rd@db.internal:5432/prod', 'DATABASE_URL=postgres://app:[redacted]@db.internal:5432/prod'],
    ['redis://:S3cretPass@cache:6379/0', 'redis://:[redacted]@cache:6379/0'],
    ['origin\thttps://x-access-token:ghs_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/app.git (fetch)', 'origin\thttps://x-access-token:[redacted]@github.com/acme/app.git (fetch)'],
    ['https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', 'https://hooks.slack.com/services/[redacted]'],
    ['https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefghijklmnop', 'https://discord.com/api/webhooks/123456789012345678/[redacted]'],
    ['curl https://api.telegram.org/bot1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ/getMe', 'curl https://api.telegram.org/bot[redacted]/getMe'],
    ['DISCORD_TOKEN=MTA1MjM0NTY3ODkwMTIzNDU2Nw.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789ab', 'DISCORD_TOKEN=[redacted]'],
    ['> Authorization: Basic YWxpY2U6c2VjcmV0cGFzc3dvcmQ=', '> Authorization: Basic [redacted]'],
  ])('%s', (text, masked) => {
    expect(redactText(text)).toBe(masked);
  });
});

describe('ordinary text', () => {
  it.each([
    'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'id 123e4567-e89b-12d3-a456-426614174000, commit 9fceb02d0ae598e95dc970b74767f19372d61af8',
    'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'password = getPassword()',
    'db_password = os.environ["DB_PASSWORD"]',
    "password = request.form['password']",
    'const secret = process.env.SESSION_SECRET;',
    'password: ${DB_PASSWORD}',
    'token = tokenizer.encode(text)',
    'prompt_tokens: 12345678, max_tokens=4096, "token_type": "bearer"',
    'see postgres://user:password@localhost/db and ssh://git@github.com:22/acme/app',
    'http://[::1]:8080/status@home',
  ])('%s', (text) => {
    expect(redactText(text)).toBe(text);
  });

  it('reads long runs once', () => {
    for (const text of ['a:'.repeat(100_000), 'x://'.repeat(50_000), 'a://b:'.repeat(40_000), `password=${'a.'.repeat(100_000)}a()`]) expect(redactText(text)).toBe(text);
    expect(redactText('token='.repeat(40_000))).toBe('token=[redacted]');
  }, TIMEOUT_MS);
});
