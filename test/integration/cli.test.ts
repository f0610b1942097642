/** The `cairn` command as a user runs it: real processes, piped stdin, the fake model server. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { tempDir } from '../helpers/cairn.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { ScheduleStore } from '../../src/schedules/store.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { startFakeTelegram } from '../fakes/telegram-api.js';
import { startFakeSlackApi } from '../fakes/slack-api.js';
import { APP_ID, startFakeDiscord } from '../fakes/discord-api.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';

// Each test runs several `cairn` processes (doctor also starts the document reader): on two
// busy cores, while other files run, that can take longer than the default 20 s.
vi.setConfig({ testTimeout: 60_000 });

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(async () => {
  await server.close();
});

function cairn(args: string[], input: Buffer | string, env: Record<string, string>): Promise<CliRun> {
  return runCli(args, { input, env });
}

const modelEnv = () => ({ CAIRN_BASE_URL: server.url, CAIRN_MODEL: 'test-model' });

describe('cairn chat', () => {
  it('says exactly what to set when no model is configured', async () => {
    const run = await cairn(['chat'], 'hello\n', {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('OPENROUTER_API_KEY');
    expect(run.stderr).toContain('CAIRN_BASE_URL');
    expect(run.stderr).toContain('Run `npx cairn setup` to be asked step by step');
    expect(run.stdout).toBe('');
    // Setup asks questions: without a terminal it says so.
    const setup = await cairn(['setup'], '', {});
    expect(setup.code).toBe(1);
    expect(setup.stderr).toContain('`cairn setup` asks questions: run it in a terminal');
  });

  it('answers one reply per piped line, and reports invalid UTF-8', async () => {
    const input = Buffer.concat([Buffer.from('first\n'), Buffer.from([0x62, 0x61, 0xff, 0x64, 0x0a]), Buffer.from('/help\nlast without newline')]);
    const run = await cairn(['chat', '--user', 'ada'], input, modelEnv());
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('echo: first');
    expect(lines[1]).toBe('echo: ba\uFFFDd');
    expect(run.stdout).toContain('/new — start a fresh conversation');
    expect(lines.at(-1)).toBe('echo: last without newline');
    expect(run.stderr).toContain('Line 2 is not valid UTF-8');
  });

  it('writes an error reply to stderr, not stdout, and exits 1 when any message got one (an empty line, a model that refuses)', async () => {
    const empty = await cairn(['chat', '--user', 'ada'], 'first\n\nlast\n', modelEnv());
    expect(empty.stdout).toBe('echo: first\necho: last\n');
    expect(empty.stderr).toContain('Your message was empty');
    expect(empty.code).toBe(1);
    // A script doing `echo q | cairn chat > answer.txt && use answer.txt` must be able to tell.
    server.enqueue({ error: { status: 401 } });
    const refused = await cairn(['chat', '--user', 'ada'], 'summarise this\n', { ...modelEnv(), CAIRN_MAX_RETRIES: '0' });
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/key|auth|401/i);
    expect(refused.code).toBe(1);
  });

  it('continues the same conversation in a new process', async () => {
    const dataDir = tempDir('cairn-cli-data-');
    await cairn(['chat', '--user', 'ada', '--session', 'work'], 'remember the blue door\n', { ...modelEnv(), CAIRN_DATA_DIR: dataDir });
    const run = await cairn(['chat', '--user', 'ada', '--session', 'work'], 'which door?\n', { ...modelEnv(), CAIRN_DATA_DIR: dataDir });
    expect(run.code).toBe(0);
    const contents = server.chatRequests().at(-1)?.messages.map((m: { content: string }) => m.content);
    expect(contents.slice(1)).toEqual(['remember the blue door', 'echo: remember the blue door', 'which door?']);
  });
});

describe('cairn tasks list', () => {
  it("shows the escape sequences a chat user put in a task's request written out, never sent to the operator's terminal", async () => {
    const env = { ...modelEnv(), CAIRN_DATA_DIR: tempDir('cairn-cli-data-') };
    server.enqueue({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'It is nine.' });
    const chat = await cairn(['chat', '--user', 'mallory'], 'what time is it \u001b]0;pwned\u0007\u001b[2J\n', env);
    expect(chat.code).toBe(0);
    const list = await runCli(['tasks', 'list'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('what time is it \\u001b]0;pwned\\u0007\\u001b[2J');
    // eslint-disable-next-line no-control-regex -- the control characters are what is looked for
    expect(list.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    // JSON keeps the request as it was.
    const json = await runCli(['tasks', 'list', '--json'], { env });
    expect(JSON.parse(json.stdout)[0].request).toBe('what time is it \u001b]0;pwned\u0007\u001b[2J');
  });
});

describe('cairn usage', () => {
  it("lists each person's tokens today, and the allowance when one is set", async () => {
    const dataDir = tempDir();
    const env = { ...modelEnv(), CAIRN_DATA_DIR: dataDir, CAIRN_REFLECTION: 'off' };
    server.enqueue({ text: 'one', usage: { prompt_tokens: 1_200, completion_tokens: 34 } }, { text: 'two', usage: { prompt_tokens: 100, completion_tokens: 5 } });
    await cairn(['chat', '--user', 'ada'], 'first\n', env);
    await cairn(['chat', '--user', 'bo'], 'second\n', env);
    const run = await cairn(['usage'], '', { ...env, CAIRN_USER_DAILY_TOKENS: '50000' });
    expect(run.stdout).toBe(['Today (since 00:00 UTC); daily allowance 50,000 tokens a person:', '  console:ada         1,234 tokens       1 calls', '  console:bo            105 tokens       1 calls', '  Total               1,339 tokens       2 calls', 'By kind of work:', "  chat         1,339 tokens       2 calls  (people's requests)", 'No known price for test-model: add it to model.pricing in the config file (see README, Models).', ''].join('\n'));
    const json = JSON.parse((await cairn(['usage', '--days', '7', '--json'], '', env)).stdout);
    expect(json).toMatchObject({ dailyAllowance: null, people: [{ user: 'console:ada', calls: 1, tokens: 1_234 }, { user: 'console:bo', calls: 1, tokens: 105 }] });
    const bad = await cairn(['usage', '--days', '0'], '', env);
    expect(bad.stderr).toContain('--days must be a positive whole number, not "0".');
  });
});

describe('cairn schedules', () => {
  it('lists every conversation\'s tasks and cancels one', async () => {
    const env = { ...modelEnv(), CAIRN_DATA_DIR: tempDir(), CAIRN_REFLECTION: 'off' };
    server.enqueue({ toolCalls: [{ name: 'schedule_task', arguments: { prompt: 'Water the plants.', cron: '0 8 * * *', timeZone: 'UTC' } }] }, { text: 'Scheduled.' });
    expect((await cairn(['chat', '--user', 'ada'], 'every morning remind me to water the plants\n', env)).stdout).toBe('Scheduled.\n');
    const listed = await cairn(['schedules', 'list'], '', env);
    expect(listed.stdout).toMatch(/^#1 cron "0 8 \* \* \*", next \w{3} \d+ \w{3} \d{4}, 08:00 \(UTC\), set by ada: Water the plants\. {2}\[console:ada\]\n$/);
    expect((await cairn(['doctor'], '', env)).stdout).toMatch(/✓ scheduled tasks: 1 active, the next at \S+Z\n/);
    // A task set on Slack, with Slack no longer configured, would wait silently: doctor says so.
    const db = openDatabase(databasePath(env.CAIRN_DATA_DIR));
    new ScheduleStore(db).create({ conversationId: 'slack:T1:D1', platform: 'slack', identity: 'slack:T1:U1', senderId: 'U1', userName: 'bo', isDirect: true, person: 'slack:T1:U1', prompt: 'Standup notes.', cron: undefined, timeZone: 'UTC', nextRunAt: Date.now() + 60_000, createdAt: Date.now() });
    db.close();
    const stranded = await cairn(['doctor'], '', env);
    expect(stranded.code).toBe(1);
    expect(stranded.stdout).toContain('✗ scheduled tasks: 1 of 2 belong to slack, not configured now: they wait until it is.');
    expect((await cairn(['schedules', 'cancel', '2'], '', env)).stdout).toBe('Cancelled task #2.\n');
    expect((await cairn(['schedules', 'cancel', '1'], '', env)).stdout).toBe('Cancelled task #1.\n');
    const again = await cairn(['schedules', 'cancel', '1'], '', env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('There is no active scheduled task #1; `cairn schedules list` shows them.');
    expect((await cairn(['schedules', 'list'], '', env)).stdout).toBe('No scheduled tasks.\n');
  });
});

describe('cairn backup and restore', () => {
  it('backs up, says how to restore, and restores with what was there set aside', async () => {
    const dataDir = tempDir();
    const db = openDatabase(databasePath(dataDir));
    db.prepare("INSERT INTO conversation_models (conversation_id, model, set_by, set_at) VALUES ('telegram:1', 'kept-model', 'telegram:1', 1)").run();
    db.close();
    const out = join(tempDir(), 'b1');
    const backup = await cairn(['backup', '--out', out], '', { CAIRN_DATA_DIR: dataDir });
    expect(backup.stdout).toContain(`To restore: stop Cairn, then run \`cairn restore ${out}\``);
    const changed = openDatabase(databasePath(dataDir));
    changed.prepare("UPDATE conversation_models SET model = 'changed-model'").run();
    changed.close();
    const restore = await cairn(['restore', out], '', { CAIRN_DATA_DIR: dataDir });
    expect(restore.stdout).toMatch(new RegExp(`^Restored ${out}\\. What the data folder held before is in ${join(dataDir, 'backups')}/before-restore-[^ ]+\\. Start Cairn again\\.\\n$`));
    const restored = openDatabase(databasePath(dataDir));
    expect(restored.prepare('SELECT model FROM conversation_models').pluck().get()).toBe('kept-model');
    restored.close();
  });
});

describe('cairn doctor', () => {
  it('passes against a working endpoint, and says when `cairn start` runs on the data folder', async () => {
    const dataDir = tempDir();
    const db = openDatabase(databasePath(dataDir));
    db.prepare("INSERT INTO instance_lease (name, holder, pid, host, started_at, renewed_at) VALUES ('start', 'h', 4711, 'host-a', ?, ?)").run(Date.UTC(2026, 11, 1, 19, 40), Date.now());
    db.close();
    const run = await cairn(['doctor'], '', { ...modelEnv(), CAIRN_DATA_DIR: dataDir });
    expect(run.stdout).toContain('✓ database');
    expect(run.stdout).toContain(`(schema ${MIGRATIONS.length}, WAL); \`cairn start\` runs on it (pid 4711 on host-a, since 2026-12-01T19:40:00.000Z)`);
    expect(run.stdout).toContain('✓ model');
    // The reader of PDFs and Office files is a process of its own: doctor starts it once.
    expect(run.stdout).toContain('✓ documents: the reader of PDFs and Office files starts and answers');
    expect(run.code).toBe(0);
  });

  it('probes the aux, embeddings and transcription models too, which otherwise fail only in the background', async () => {
    server.enqueue({ text: 'OK' }, { error: { status: 404, body: { error: { message: 'The model `hermes-tiny` does not exist', type: 'invalid_request_error', code: 'model_not_found' } } } });
    server.enqueueTranscription({ error: { status: 404, message: 'The model `whisper-9` does not exist' } });
    const run = await cairn(['doctor'], '', { ...modelEnv(), CAIRN_AUX_MODEL: 'hermes-tiny', CAIRN_EMBEDDINGS_MODEL: 'embed-small', CAIRN_TRANSCRIBE_MODEL: 'whisper-9' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✓ model \(OpenAI-compatible endpoint\): test-model at http:\S+ answered in \d+ ms\n/);
    expect(run.stdout).toMatch(/✗ aux model: hermes-tiny at http:\S+: .*does not exist.* Check CAIRN_AUX_MODEL: the primary endpoint must serve it\.\n/);
    expect(run.stdout).toMatch(/✓ embeddings: embed-small at http:\S+ answered in \d+ ms \(\d+ dimensions\)\n/);
    const probed = server.requests.filter((request) => request.path.endsWith('/embeddings')).at(-1)?.body as { model: string };
    expect(probed.model).toBe('embed-small');
    expect(run.stdout).toMatch(/✗ transcription: whisper-9 at http:\S+: .*does not exist.* Check CAIRN_TRANSCRIBE_MODEL: the primary endpoint must serve it at \/audio\/transcriptions\.\n/);
    expect(server.transcriptionRequests().at(-1)).toEqual({ model: 'whisper-9', fileName: 'probe.wav' });

    const heard = await cairn(['doctor'], '', { ...modelEnv(), CAIRN_TRANSCRIBE_MODEL: 'whisper-1' });
    expect(heard.stdout).toMatch(/✓ transcription: whisper-1 at http:\S+ answered in \d+ ms\n/);
  });

  it('probes the vision model with a tiny image, and names the variable when the model takes none', async () => {
    server.enqueue({ text: 'OK' }, { error: { status: 400, body: { error: { message: 'Image input is not supported by this model' } } } }, { text: 'OK' }, { text: 'A white pixel.' });
    const refused = await cairn(['doctor'], '', { ...modelEnv(), CAIRN_VISION_MODEL: 'text-only' });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/✗ vision: text-only at http:\S+: .*not supported.* Check CAIRN_VISION_MODEL: the primary endpoint must serve it and take images\.\n/);
    const probe = server.chatRequests().at(-1);
    expect(probe?.messages[1].content[1].image_url.url).toMatch(/^data:image\/png;base64,iVBOR/);
    const seen = await cairn(['doctor'], '', { ...modelEnv(), CAIRN_VISION_MODEL: 'gpt-4o-mini' });
    expect(seen.stdout).toMatch(/✓ vision: gpt-4o-mini at http:\S+ answered in \d+ ms\n/);
  });

  it("checks each configured platform's credentials through its API, and says what to fix", async () => {
    const telegram = await startFakeTelegram();
    const slack = await startFakeSlackApi();
    const discord = await startFakeDiscord({ token: 'discord-bot-token' });
    try {
      const platforms = {
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_APP_TOKEN: slack.appToken,
        SLACK_API_URL: slack.url,
        DISCORD_TOKEN: 'discord-bot-token',
        DISCORD_APPLICATION_ID: APP_ID,
        DISCORD_API_URL: discord.apiUrl,
      };
      const good = await cairn(['doctor'], '', { ...modelEnv(), ...platforms });
      expect(good.stdout).toContain('✓ telegram: @cairn_bot (id 999; people open a chat with it at https://t.me/cairn_bot), long polling\n');
      expect(good.stdout).toContain('✓ slack: @cairn in Fake, Socket Mode\n');
      expect(good.stdout).toContain(`✓ discord: cairn (application ${APP_ID}), slash commands global`);
      // The link that adds the bot to a server, with the scopes and permissions it needs.
      expect(good.stdout).toContain(`in 1 server; add it to a server with https://discord.com/oauth2/authorize?client_id=${APP_ID}&scope=bot+applications.commands&permissions=274878008320\n`);
      expect(good.code).toBe(0);

      telegram.setWebhookFailure('https://bot.example.com/telegram', 'Connection refused', 1_796_000_000);
      discord.setApplicationFlags(0);
      const bad = await cairn(['doctor'], '', {
        ...modelEnv(),
        ...platforms,
        TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram',
        TELEGRAM_WEBHOOK_SECRET: 'secret-1',
        SLACK_APP_TOKEN: 'xoxb-not-an-app-token',
      });
      expect(bad.stdout).toContain("✓ telegram: @cairn_bot (id 999; people open a chat with it at https://t.me/cairn_bot), webhook https://bot.example.com/telegram, 0 updates waiting; Telegram's last delivery failed at 2026-11-30T");
      expect(bad.stdout).toMatch(/✗ slack: Slack refused SLACK_APP_TOKEN for Socket Mode \(invalid_auth\): it must be an app-level token \(xapp-…\) with the connections:write scope/);
      expect(bad.stdout).toContain('✗ discord: The Message Content intent is off, so Discord would refuse the connection: turn it on under Bot → Privileged Gateway Intents');
      expect(bad.code).toBe(1);

      const wrong = await cairn(['doctor'], '', { ...modelEnv(), ...platforms, TELEGRAM_BOT_TOKEN: '123:revoked', DISCORD_APPLICATION_ID: '42', SLACK_APP_TOKEN: '', SLACK_SIGNING_SECRET: 'signing' });
      expect(wrong.stdout).toContain('✗ telegram: Telegram refused the bot token: check TELEGRAM_BOT_TOKEN.');
      expect(wrong.stdout).toContain('✓ slack: @cairn in Fake, HTTP events on /slack/events (signed with SLACK_SIGNING_SECRET)');
      expect(wrong.stdout).toContain(`✗ discord: DISCORD_APPLICATION_ID is 42, but DISCORD_TOKEN belongs to application ${APP_ID} (Cairn): set DISCORD_APPLICATION_ID=${APP_ID}.`);
      const revoked = await cairn(['doctor'], '', { ...modelEnv(), DISCORD_TOKEN: 'old-token', DISCORD_APPLICATION_ID: APP_ID, DISCORD_API_URL: discord.apiUrl });
      expect(revoked.stdout).toContain('✗ discord: Discord refused the bot token: check DISCORD_TOKEN.');

      // Slack names a token's scopes in a header: the ones Cairn uses must be there (files:read to read shared files, files:write to send some).
      const narrow = await startFakeSlackApi({ scopes: ['app_mentions:read', 'chat:write', 'im:history', 'reactions:read', 'commands'] });
      try {
        const scoped = await cairn(['doctor'], '', { ...modelEnv(), SLACK_BOT_TOKEN: narrow.botToken, SLACK_APP_TOKEN: narrow.appToken, SLACK_API_URL: narrow.url, CAIRN_TRANSCRIBE_MODEL: 'whisper-1' });
        expect(scoped.stdout).toContain('✗ slack: The bot token lacks the scopes reactions:write, files:read, files:write: add them under OAuth & Permissions and reinstall the app.');
      } finally {
        await narrow.close();
      }
      // Without the history and users:read scopes Cairn works, less well: doctor says so and passes.
      const historyless = await startFakeSlackApi({ scopes: ['app_mentions:read', 'chat:write', 'im:history', 'reactions:read', 'reactions:write', 'commands', 'files:read', 'files:write'] });
      try {
        const run = await cairn(['doctor'], '', { ...modelEnv(), SLACK_BOT_TOKEN: historyless.botToken, SLACK_APP_TOKEN: historyless.appToken, SLACK_API_URL: historyless.url });
        expect(run.stdout).toContain('✓ slack: @cairn in Fake; without channels:history and groups:history it reads a thread only from the mention on; without users:read it knows members by id, not by name, Socket Mode\n');
        expect(run.code).toBe(0);
      } finally {
        await historyless.close();
      }
    } finally {
      await Promise.all([telegram.close(), slack.close(), discord.close()]);
    }
  });

  it('says what to fix when the endpoint is unreachable or the config is bad', async () => {
    const down = await cairn(['doctor'], '', { CAIRN_BASE_URL: 'http://127.0.0.1:9/v1', CAIRN_MODEL: 'm' });
    expect(down.code).toBe(1);
    expect(down.stdout).toContain('✗ model');
    expect(down.stdout).toContain('CAIRN_BASE_URL');
    const bad = await cairn(['doctor'], '', { CAIRN_HTTP_PORT: 'nope' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('CAIRN_HTTP_PORT');
  });
});
