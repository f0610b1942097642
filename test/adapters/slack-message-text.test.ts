/**
 * The text of a Slack message as the model gets it: the bot's mention removed and nothing
 * else (pasted code and YAML keep their indentation), channel references readable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlackApi, SlackEventSender, type FakeSlackApi } from '../fakes/slack-api.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { SlackAdapter } from '../../adapters/slack/index.js';
import { normalizeEvent, slackToPlain, type NormalizeOptions } from '../../adapters/slack/normalize.js';
import { HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/core/logger.js';

const options: NormalizeOptions = { bot: { teamId: 'T1', userId: 'UBOT', botId: 'BBOT' }, channelSessions: 'thread', isCommand: (name) => ['new', 'help'].includes(name), now: new Date(0) };
const body = { team_id: 'T1', event_id: 'Ev1' };
const PYTHON = 'why does this fail?\n```\ndef f(x):\n    if x:\n        return 1\n    return 2\n```';

function mentionText(text: string): string | undefined {
  return normalizeEvent({ type: 'app_mention', channel: 'C1', user: 'U1', text, ts: '7.1' }, body, options)?.message.text;
}

describe('Slack message text', () => {
  it('keeps the indentation of code pasted in a DM', () => {
    expect(normalizeEvent({ type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: PYTHON, ts: '5.1' }, body, options)?.message.text).toBe(PYTHON);
  });

  it('keeps the indentation of YAML pasted after a mention', () => {
    const yaml = 'services:\n  web:\n    image: nginx\n    ports:\n      - "80:80"';
    expect(mentionText(`<@UBOT> is this valid?\n${yaml}`)).toBe(`is this valid?\n${yaml}`);
  });

  it('removes the mention and one space beside it, wherever it stands, and keeps the other spaces', () => {
    expect(mentionText('hey <@UBOT> look at this')).toBe('hey look at this');
    expect(mentionText('a  table:  x  y <@UBOT>')).toBe('a  table:  x  y');
    expect(mentionText('thanks <@UBOT|cairn>, that works')).toBe('thanks, that works');
    expect(mentionText('<@UBOT> /new')).toBe('/new');
  });

  it('shows a channel reference by its name, or by its id when Slack sends none', () => {
    // Slack's current clients send channel references as <#C…|> (empty label) or <#C…>.
    expect(slackToPlain('post it in <#C0123ABCD|> or <#C0456EFGH>, not <#C1|general>')).toBe('post it in #C0123ABCD or #C0456EFGH, not #general');
  });
});

describe('Slack: code pasted in a DM', () => {
  let model: FakeModelServer;
  let slack: FakeSlackApi;
  let cairn: TestCairn;
  let adapter: SlackAdapter;
  const http = new HttpServer();

  afterEach(async () => {
    await adapter.stop();
    await http.close();
    await slack.close();
    await cairn.close();
    await model.close();
  });

  it('reaches the model with its indentation', async () => {
    model = await startFakeModelServer();
    slack = await startFakeSlackApi();
    const secret = 'fake-signing-secret-0123456789';
    cairn = startTestCairn(testConfig(model.url, { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: slack.url, SLACK_ALLOWED_USERS: 'U1' }));
    adapter = new SlackAdapter({ config: cairn.config, http, logger: silentLogger, commands: cairn.commands, sleep: async () => {} }, { timer: new ManualTimers().timer });
    cairn.gateway.attach(adapter);
    const port = await http.listen(0, '127.0.0.1');
    const events = new SlackEventSender(`http://127.0.0.1:${port}/slack/events`, secret, slack);
    await adapter.start(cairn.gateway.receive);

    expect((await events.message({ text: PYTHON })).status).toBe(200);
    await slack.waitForMessages(1, (post) => post.channel === 'D1');
    const asked = (model.chatRequests()[0]?.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user').at(-1)?.content;
    expect(asked).toBe(PYTHON);
  });
});
