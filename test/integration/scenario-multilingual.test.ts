/**
 * A team whose people write in several languages uses one Cairn for months: Jonas, a German
 * engineer, on Telegram; Çağrı Yılmaz, a Turkish developer, and Jürgen Groß from the Munich office in
 * the team's Slack channel; Bia, the Brazilian PM, in Portuguese. After months of German notes Jonas
 * opens a conversation the way people do ("Hallo! Was habe ich dir über die Datenbank gesagt?") and
 * the note about the database is what Cairn recalls; in the channel Cairn tells Çağrı from Jürgen
 * by names that are theirs, not "Cagr_Y_lmaz" and "Jurgen_Gro"; and when Bia asks in Portuguese for
 * a weekly summary, the model is told to keep her request in Portuguese, since that is all a run
 * has to go on.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualClock } from '../../src/core/clock.js';

const rig = useFakeModelRig();

const START = Date.UTC(2026, 10, 2, 9);
const DAY = 86_400_000;

/** The team's Cairn: `say` is one person's message on a platform, in a direct chat unless `group` is given. */
function team(env: Record<string, string> = {}) {
  const clock = new ManualClock(START);
  const config = testConfig(rig.server.url, { SLACK_ALLOWED_USERS: 'UCAGRI,UJUERGEN,UBIA', TELEGRAM_ALLOWED_USERS: '7', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC', ...env }, tempDir());
  const cairn = rig.startWith(config, { clock });
  const adapters = new Map<string, RecordingAdapter>();
  let n = 0;
  const say = async (platform: string, user: string, name: string, text: string, group?: string) => {
    let adapter = adapters.get(platform);
    if (!adapter) {
      adapter = new RecordingAdapter(platform);
      adapters.set(platform, adapter);
      cairn.gateway.attach(adapter);
    }
    rig.server.setDefault(() => ({ text: 'ok' }));
    const where = group ? { conversationId: `${platform}:${group}`, isDirect: false, addressed: true } : { conversationId: `${platform}:dm:${user}` };
    await cairn.gateway.receive(adapter.message(text, { messageId: `m${++n}`, senderId: user, userId: `${platform}:${user}`, userName: name, ...where }));
    return rig.server.chatRequests().at(-1) as ChatBody;
  };
  return { cairn, clock, say };
}

const systemOf = (body: ChatBody) => String((body.messages as { content: string }[])[0]?.content ?? '');

describe('a team writing in several languages over months', () => {
  it('Jonas (German): months of German notes, and the one about the database is recalled by "Was habe ich dir über die Datenbank gesagt?"', async () => {
    const { cairn, say } = team();
    // What extraction wrote week after week, in his language and in the third person.
    const weekly = [
      'Jonas hat gesagt, dass er die Tests am Freitag schreibt und es nicht mehr verschieben will.',
      'Jonas mag es nicht, wenn die Antworten zu lang sind; er will kurze Antworten.',
      'Jonas hat gesagt, die Besprechung mit dem Team ist jeden Dienstag um 10 Uhr.',
      'Jonas weiß nicht mehr, was er im Sprint Review gesagt hat, und will eine Zusammenfassung.',
      'Das Deployment läuft über GitHub Actions, und die Pipeline ist nicht mehr so langsam.',
      'Jonas hat gesagt, was ihn stört: die vielen Meetings am Montag.',
      'Die Kollegin Anna übernimmt das Frontend, und es gibt nicht mehr viel zu tun.',
      'Was Jonas wichtig ist: die Dokumentation soll auf Deutsch sein.',
      'Jonas habe ich erklärt, wie die Logs rotiert werden; er weiß es jetzt.',
    ];
    cairn.notes.store.add('telegram:7', { text: 'Die Datenbank läuft auf PostgreSQL 16 im Rechenzentrum Frankfurt.', kind: 'fact', origin: 'user', createdAt: START - 150 * DAY });
    for (let week = 0; week < 20; week++) {
      for (const text of weekly) cairn.notes.store.add('telegram:7', { text: text.replace(/\.$/, ` (KW ${week + 1}).`), kind: 'fact', origin: 'user', createdAt: START - (140 - week * 7) * DAY });
    }
    const first = await say('telegram', '7', 'Jonas', 'Hallo! Was habe ich dir über die Datenbank gesagt? Ich weiß es nicht mehr.');
    expect(systemOf(first)).toContain('Rechenzentrum Frankfurt');
    await cairn.close();
  });

  it('Çağrı and Jürgen in the Slack channel: the model tells them apart by their names written in Latin letters, not cut at ı and ß', async () => {
    const { cairn, say } = team();
    await say('slack', 'UCAGRI', 'Çağrı Yılmaz', 'Deploy betiğini ben yazdım, bir bakar mısın?', 'C1');
    const body = await say('slack', 'UJUERGEN', 'Jürgen Groß', 'Ich schaue es mir morgen an.', 'C1');
    const names = (body.messages as { role: string; name?: string }[]).filter((message) => message.role === 'user').map((message) => message.name);
    expect(names).toEqual(['Cagri_Yilmaz', 'Jurgen_Gross']);
    await cairn.close();
  });

  it('Bia (Portuguese): asking for a weekly summary, the model is told to keep the task in her language', async () => {
    const { cairn, say } = team();
    const body = await say('slack', 'UBIA', 'Bia', 'Toda segunda às 9h me mande um resumo dos tickets abertos, por favor.');
    const tools = body.tools as { function: { name: string; parameters: { properties: Record<string, { description?: string }> } } }[];
    const prompt = tools.find((tool) => tool.function.name === 'schedule_task')?.function.parameters.properties.prompt?.description ?? '';
    // A run is a turn with nothing but this text: turned into English, her Monday summaries came in English.
    expect(prompt).toMatch(/in the language the person asked in/);
    await cairn.close();
  });
});
