/**
 * An international team uses one Cairn for months. Kenji in Tokyo writes Japanese on Slack (no spaces
 * between words), Layla in Cairo writes Arabic with English code names in it, and her phone puts
 * direction marks around them, Jonas in Berlin writes German on Telegram (sometimes from a keyboard
 * without umlauts), Wei writes Chinese on Discord, and Bia in São Paulo writes Portuguese full of
 * emoji. Their notes are condensed in their own words and found by the words they type later, on
 * the platforms and in the operator's `cairn memory search`; the skills the team wrote in Japanese
 * reach the catalog when a request is about them; and long replies are split where a reader would
 * split them, never through a word, an emoji or a flag.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody, FakeReply } from '../fakes/model-server.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { runCairnOn } from '../helpers/cli-in-process.js';
import { keepOperatorVariables } from '../helpers/operator-folder.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ADA, useTelegramRig } from '../helpers/telegram-rig.js';
import { ManualClock } from '../../src/core/clock.js';
import { renderParts as discordParts } from '../../adapters/discord/render.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const rig = useFakeModelRig();
const telegram = useTelegramRig();
keepOperatorVariables();

const START = Date.UTC(2026, 10, 2, 9);
const EXTRACTION = 'You maintain long-term memory';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The team's Cairn on `dataDir`: `say` is one person's message on their platform; the model answers with `calls` first, then "ok". */
function team(dataDir: string, at = START, env: Record<string, string> = {}) {
  const clock = new ManualClock(at);
  const config = testConfig(rig.server.url, { SLACK_ALLOWED_USERS: 'UKENJI,ULAYLA', TELEGRAM_ALLOWED_USERS: '7', CAIRN_REFLECTION: 'off', CAIRN_TZ: 'UTC', ...env }, dataDir);
  const cairn = rig.startWith(config, { clock });
  const adapters = new Map<string, RecordingAdapter>();
  let notes: { text: string; kind: string }[] = [];
  let extractionSystem = '';
  let n = 0;
  const inbound = (platform: string, user: string, text: string, extra: Record<string, unknown> = {}) =>
    adapters.get(platform)!.message(text, { messageId: `m${++n}`, conversationId: `${platform}:dm:${user}`, senderId: user, userId: `${platform}:${user}`, userName: user, ...extra });
  const say = async (platform: string, user: string, text: string, ...calls: { name: string; arguments: Record<string, unknown> }[]) => {
    let adapter = adapters.get(platform);
    if (!adapter) {
      adapter = new RecordingAdapter(platform);
      adapters.set(platform, adapter);
      cairn.gateway.attach(adapter);
    }
    const steps = [...calls];
    let last: ChatBody | undefined;
    rig.server.setDefault((request): FakeReply => {
      const body = request.body as ChatBody;
      const system = String(body.messages?.[0]?.content ?? '');
      if (system.startsWith(EXTRACTION)) {
        extractionSystem = system;
        return { text: JSON.stringify({ notes: notes.splice(0) }) };
      }
      last = body;
      const call = steps.shift();
      return call ? { toolCalls: [call] } : { text: 'ok' };
    });
    await cairn.gateway.receive(inbound(platform, user, text));
    const messages = (last?.messages ?? []) as { role: string; content: string }[];
    return { system: messages[0]?.content ?? '', toolResult: messages.at(-1)?.role === 'tool' ? (messages.at(-1)?.content ?? '') : '' };
  };
  /** Ends the person's conversation; the model condenses it into `condensed`. */
  const endWith = async (platform: string, user: string, condensed: { text: string; kind: string }[]) => {
    notes = [...condensed];
    await cairn.gateway.receive(inbound(platform, user, '/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
  };
  return { cairn, clock, say, inbound, endWith, extractionSystem: () => extractionSystem };
}

const search = (query: string, extra: Record<string, unknown> = {}) => ({ name: 'memory_search', arguments: { query, ...extra } });

describe('an international team over months', () => {
  it('Kenji (Japanese, Slack): his conversation is condensed in Japanese and found by a word inside a sentence, in chat and in the terminal', async () => {
    const dataDir = tempDir();
    const { cairn, say, inbound, endWith, extractionSystem } = team(dataDir);
    await say('slack', 'UKENJI', '先週、東京に引っ越しました。新しいオフィスは渋谷です。');
    await endWith('slack', 'UKENJI', [{ text: 'ケンジは東京に引っ越した。新しいオフィスは渋谷にある。', kind: 'fact' }]);
    // The model is asked to keep his words: a note translated to "moved to Tokyo" is never found by 東京.
    expect(extractionSystem()).toMatch(/language the user wrote it in/);
    const found = await say('slack', 'UKENJI', 'オフィスはどこでしたっけ？', search('東京'));
    expect(found.toolResult).toContain('ケンジは東京に引っ越した');
    // A new conversation that opens politely recalls the note its question is about, from its first message.
    await cairn.gateway.receive(inbound('slack', 'UKENJI', '/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    const polite = await say('slack', 'UKENJI', 'おはようございます。今日もどうぞよろしくお願いいたします。ところで、先月お話しした件ですが、渋谷のオフィスの住所をもう一度教えていただけますか？');
    expect(polite.system).toContain('新しいオフィスは渋谷にある');
    await cairn.close();
    // The operator, in a terminal, with the dates as a Japanese IME types them (full-width).
    const lines = await runCairnOn(dataDir, rig.server.url, 'memory', 'search', '東京', '--user', 'slack:UKENJI', '--since', '２０２６－１１－０１');
    expect(lines.join('\n')).toContain('ケンジは東京に引っ越した');
  });

  it('Layla (Arabic, Cairo): a note with tatweel, the article and a code name between direction marks is found by the plain word', async () => {
    const { cairn, say } = team(tempDir());
    const note = 'اجتمـاع الفريق مع العميل يوم الأحد حول ترحيل \u2068PostgreSQL\u2069 في الغرفة ٣٠٥';
    await say('slack', 'ULAYLA', 'سجل هذا', { name: 'memory_save', arguments: { text: note, kind: 'fact' } });
    for (const query of ['اجتماع', 'الفريـق', 'postgresql', '305']) {
      const { toolResult } = await say('slack', 'ULAYLA', 'متى الاجتماع؟', search(query));
      expect(toolResult, query).toContain('PostgreSQL');
    }
    await cairn.close();
  });

  it('Jonas (German): a note with ß and umlauts is found from a keyboard without them, and the other way round', async () => {
    const { cairn, say } = team(tempDir());
    await say('telegram', '7', 'merk dir das', { name: 'memory_save', arguments: { text: 'Herr Müller übernimmt die Datenbank-Prüfung, Büro in der Hauptstraße 5.', kind: 'fact' } });
    await say('telegram', '7', 'merk dir das auch', { name: 'memory_save', arguments: { text: 'Frau Schaefer ist die neue Teamleiterin.', kind: 'fact' } });
    expect((await say('telegram', '7', 'wer?', search('Mueller Hauptstrasse'))).toolResult).toContain('Herr Müller');
    expect((await say('telegram', '7', 'wer?', search('Pruefung'))).toolResult).toContain('Herr Müller');
    expect((await say('telegram', '7', 'wer?', search('Schäfer'))).toolResult).toContain('Frau Schaefer');
    await cairn.close();
  });

  it('the skills the team wrote in Japanese: the one a Japanese request is about is in the catalog that does not fit whole', async () => {
    const dataDir = tempDir();
    const extra = join(dataDir, 'team-skills');
    const write = (name: string, description: string) => {
      mkdirSync(join(extra, name), { recursive: true });
      writeFileSync(join(extra, name, 'SKILL.md'), `---\nname: ${name}\ndescription: ${description}\n---\n手順\n`);
    };
    for (let i = 0; i < 60; i++) write(`chore-${String(i).padStart(2, '0')}`, `週次レポートの作成と共有の手順その${i}。表計算シートを更新して、チームに送る。`);
    write('zz-deploy-production', `本番環境へのデプロイ手順。サービスを再起動してログを確認する。${'—'.repeat(40)}`);
    const { cairn, say } = team(dataDir, START, { CAIRN_SKILLS_DIRS: extra, CAIRN_SKILLS_CATALOG_TOKENS: '800' });
    const { system } = await say('slack', 'UKENJI', '本番環境にデプロイしたいのですが、手順を教えてください');
    expect(system).toMatch(/more skills are not listed here/);
    expect(system).toContain('- zz-deploy-production: ');
    await cairn.close();
  });

  it('Wei (Chinese, Discord): a long answer is cut at the ends of sentences, each part within 2,000 characters', () => {
    const answer = '我们已经把上海办公室的服务器迁移到了新的机房，并且完成了所有的数据备份和恢复测试。'.repeat(60);
    const parts = discordParts(answer);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(2000);
    for (const part of parts.slice(0, -1)) expect(part.endsWith('。')).toBe(true);
    expect(parts.join('')).toBe(answer);
  });
});

describe('Bia and Jonas on Telegram: long replies full of emoji and umlauts', () => {
  it('arrive in parts within 4,096 UTF-16 units, none starting inside an emoji or a flag', async () => {
    const { fake, model } = await telegram.start({ env: { CAIRN_STREAM_REPLIES: 'false' } });
    const answer = `Parabéns pelo lançamento! ${'🎉🇧🇷👨‍👩‍👧‍👦'.repeat(500)} Größe: 5.`;
    model.enqueue({ text: answer });
    fake.pushUpdate({ message: { message_id: 1, date: START / 1000, chat: { id: ADA.id, type: 'private' }, from: ADA, text: 'Mostra a festa!' } });
    // 8,540 UTF-16 units: three parts.
    await fake.waitForSent(3);
    const texts = fake.callsTo('sendMessage').map((call) => String(call.text));
    const boundaries = new Set([...GRAPHEMES.segment(answer)].map((segment) => segment.index));
    let at = 0;
    for (const text of texts) {
      expect(text.length).toBeLessThanOrEqual(4096);
      expect(text).not.toMatch(LONE_SURROGATE);
      at = answer.indexOf(text, at);
      expect(boundaries.has(at), `a part starts at ${at}, inside a character`).toBe(true);
      at += text.length;
    }
  });
});
