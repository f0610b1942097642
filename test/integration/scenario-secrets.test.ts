/**
 * A security-minded operator follows the secrets a person pastes into a DM (an AWS key pair, a
 * database URL with its password, a Slack webhook, a GitLab token) through every place Cairn keeps
 * or shows them: the shared skill reflection proposes and its post to the admin channel, the audit report, the notes
 * condensed from the conversation, `cairn export --live`, `cairn doctor` and the log (with Slack's
 * client logging request bodies at trace). Ordinary text beside them (a hash, a UUID, code that
 * reads a password from the environment) reaches the export as it was.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import type { ChatBody, RecordedRequest } from '../fakes/model-server.js';
import { startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { runDoctor } from '../../src/cli/doctor.js';
import { createLogger } from '../../src/core/logger.js';
import { exportRecords } from '../../src/rl/export/index.js';
import { recordsFromLiveTasks } from '../../src/rl/export/live-tasks.js';
import { webClientOptions } from '../../adapters/slack/client.js';

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const DB_PASSWORD = 'Tr0ub4dor-and-3';
const HOOK = 'B0HIJKLMN/Zq8xY2wV4uT6sR1pO3nM7kLj';
const GITLAB = 'glpat-Zq8xY2wV4uT6sR1pO3nM';
const SECRETS = [AWS_SECRET, DB_PASSWORD, HOOK, GITLAB, 'AKIAIOSFODNN7EXAMPLE'];
const ORDINARY = ['sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'run 123e4567-e89b-12d3-a456-426614174000', 'db_password = os.environ["DB_PASSWORD"]'];
const PASTED = [
  "here's my ~/.aws/credentials:",
  '[default]',
  'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
  `aws_secret_access_key = ${AWS_SECRET}`,
  `the prod db is postgres://app:${DB_PASSWORD}@db.internal:5432/prod, alerts go to https://hooks.slack.com/services/T0ABCDEFG/${HOOK}`,
  `GITLAB_TOKEN=${GITLAB}`,
  ...ORDINARY,
].join('\n');
const leaked = (text: string) => SECRETS.filter((secret) => text.includes(secret));
const ADMINS = 'telegram:-100200';

const rig = useFakeModelRig();
let slack: FakeSlackApi | undefined;
afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

describe('an operator following pasted secrets', () => {
  it('finds them in no skill, admin post, audit report, note, export or doctor line', async () => {
    let reviews = 0;
    rig.server.setDefault((request: RecordedRequest) => {
      const body = request.body as ChatBody;
      const system = String(body.messages?.[0]?.content ?? '');
      // Extraction retells all it was shown, as a careless model would.
      if (system.startsWith('You maintain long-term memory')) {
        const shown = (body.messages ?? []).slice(1).map((message: { content?: unknown }) => String(message.content)).join('\n').split('\n');
        const setup = shown.filter((line: string) => /aws_|postgres:|hooks\.slack|GITLAB/.test(line)).join(' ');
        return { text: JSON.stringify({ notes: [{ text: `Setup: ${setup}`.slice(0, 1_000), kind: 'fact' }] }) };
      }
      if (system.startsWith('You review a task')) {
        // Reflection first copies her webhook into the skill (refused: the skill is shared), then quotes her token in the reason it gives the admins.
        const steps = ++reviews === 1 ? `## Steps\n1. Post to https://hooks.slack.com/services/T0ABCDEFG/${HOOK}\n` : '## Steps\n1. Export GITLAB_TOKEN.\n';
        const skill = { action: 'create', name: 'pushing-to-gitlab', description: 'How to push to GitLab with a token. Use before a push.', body: steps, reason: `the push failed: ${GITLAB} lacks write_repository` };
        return { text: JSON.stringify({ outcome: 'failure', efficient: true, worked: [], failed: ['the push failed'], assumptions: [], doDifferently: [], skill }) };
      }
      return { text: 'ok' };
    });
    const dataDir = tempDir();
    const cairn = rig.startWith(testConfig(rig.server.url, { TELEGRAM_ALLOWED_USERS: '100', TELEGRAM_ADMIN_USERS: '100', CAIRN_REFLECTION: 'propose', CAIRN_ADMIN_CHANNEL: ADMINS, CAIRN_EXPORT_LIVE_TASKS: 'true', CAIRN_AUDIT_EVERY: '0' }, dataDir));
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    const from = (text: string, extra = {}) => telegram.message(text, { senderId: '100', userId: 'telegram:100', conversationId: 'telegram:100', ...extra });
    const command = (name: string, args = '') => cairn.gateway.receive(from(`/${name} ${args}`.trim(), { command: { name, args } }));

    // 1. Dana pastes her credentials; the turn uses tools (a task), reflection proposes a skill, and she says it went wrong.
    const time = { toolCalls: [{ name: 'current_time', arguments: {} }] };
    rig.server.enqueue(time, time, time, { text: 'Noted, I will use these.' });
    await cairn.gateway.receive(from(PASTED));
    await cairn.learning.idle();
    await command('feedback', 'bad');
    await cairn.learning.idle();

    // 2. The skill holds no webhook (reflection was told why and tried again), and the proposal posted to the
    // admin channel gives its reason without her token.
    const reflection = rig.server.chatRequests().filter((body) => String(body.messages?.[0]?.content).startsWith('You review a task'));
    expect(JSON.stringify(reflection[1]?.messages?.at(-1))).toContain('contains what looks like a slack webhook');
    expect(JSON.stringify(cairn.learning.proposals.pending())).toContain('Export GITLAB_TOKEN');
    const posted = telegram.sent.filter((sent) => sent.conversationId === ADMINS).map((sent) => sent.reply.text);
    expect(posted.join('\n')).toContain('lacks write_repository');
    expect(leaked(posted.join('\n'))).toEqual([]);

    // 3. The audit report quotes the failed request: without its secrets.
    const audit = await cairn.learning.audits.run('manual');
    expect(audit?.report).toContain(`e.g. "here's my ~/.aws/credentials:`);
    expect(leaked(audit?.report ?? '')).toEqual([]);

    // 4. /new: the conversation is condensed into notes. None holds a secret.
    await command('new');
    await cairn.notes.idle();
    const notes = JSON.stringify(cairn.db.prepare('SELECT text FROM notes').all());
    expect(notes).toContain('aws_secret_access_key = [redacted]');
    expect(leaked(notes)).toEqual([]);

    // 5. `cairn export --live`: the secrets masked, the host, user and ordinary text kept.
    const out = join(tempDir(), 'train.jsonl');
    await exportRecords([recordsFromLiveTasks(cairn.db, { allowed: true, tools: cairn.tools.definitions({ isAdmin: true }) })], { format: 'openai', out, secrets: cairn.config.secrets });
    const exported = JSON.parse(readFileSync(out, 'utf8').trim()) as { messages: { role: string; content: string }[] };
    const question = exported.messages.find((message) => message.role === 'user')?.content ?? '';
    expect(leaked(question)).toEqual([]);
    expect(question).toContain('postgres://app:[redacted]@db.internal:5432/prod');
    expect(question).toContain('https://hooks.slack.com/services/[redacted]');
    for (const line of ORDINARY) expect(question).toContain(line);

    // 6. The operator's `cairn doctor`, with the model behind a proxy's basic auth, pasted into an issue.
    const lines: string[] = [];
    await runDoctor(testConfig(rig.server.url, { CAIRN_BASE_URL: rig.server.url.replace('http://', 'http://cairn:Pr0xyPassw0rd@') }, dataDir), (line) => void lines.push(line));
    expect(lines.find((line) => line.startsWith('✓ model'))).toMatch(/ at http:\/\/cairn:\[redacted\]@127\.0\.0\.1:\d+\/v1 answered/);
    expect(lines.join('\n')).not.toContain('Pr0xyPassw0rd');
  });

  it("keeps pasted tokens out of the log when Slack's client logs request bodies at trace", async () => {
    slack = await startFakeSlackApi({ botToken: 'xoxb-configured-bot-token' });
    const lines: string[] = [];
    const logger = createLogger({ level: 'trace', format: 'json', secrets: ['xoxb-configured-bot-token'], destination: { write: (line: string) => void lines.push(line) } });
    const client = new WebClient('xoxb-configured-bot-token', webClientOptions({ botToken: 'xoxb-configured-bot-token', apiUrl: slack.url } as never, logger));
    await client.chat.postMessage({ channel: 'C1', text: `Your token ${GITLAB} works; the database is postgres://app:${DB_PASSWORD}@db.internal/prod.` });
    const log = lines.join('');
    expect(log).toContain('http request body');
    expect(log).toContain('postgres://app:[redacted]@db.internal/prod');
    expect(leaked(log)).toEqual([]);
    expect(log).not.toContain('xoxb-configured-bot-token');
  });
});
