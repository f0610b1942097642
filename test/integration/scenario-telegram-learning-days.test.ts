/**
 * A Telegram user over two days: a task with files and the terminal, after which reflection makes
 * a skill; a restart; a new conversation that recalls the note the first one left and uses the
 * skill; `/feedback bad` on that answer; and the audit every 15 tasks, which counts the verdict
 * against the skill. The pieces meet on one data folder: skills, notes, tasks and audits.
 */
import { describe, expect, it } from 'vitest';
import type { ChatBody, FakeReply, RecordedRequest } from '../fakes/model-server.js';
import { tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualClock } from '../../src/core/clock.js';
import type { CronPort } from '../../src/learning/scheduler.js';
import type { InboundMessage } from '../../src/core/message.js';

const rig = useFakeModelRig();
const NO_CHANGE = { outcome: 'success', efficient: true, worked: ['it worked'], failed: [], assumptions: [], doDifferently: [], skill: { action: 'none' } };
const USER = 'telegram:100';

describe('a Telegram user over two days', () => {
  it('learns a skill, recalls a note in a new conversation, takes feedback, and audits', async () => {
    const reflections: unknown[] = [];
    const chat: FakeReply[] = [];
    rig.server.setDefault((request: RecordedRequest) => {
      const body = request.body as ChatBody;
      const system = String(body.messages?.[0]?.content ?? '');
      if (system.startsWith('You review a task')) {
        const shown = /outcome (success|failure|unknown)/.exec(String(body.messages?.[1]?.content ?? ''))?.[1] ?? 'unknown';
        return { text: JSON.stringify(reflections.shift() ?? { ...NO_CHANGE, outcome: shown }) };
      }
      if (system.startsWith('You maintain long-term memory')) return { text: JSON.stringify({ notes: [{ text: 'The user deploys the app heron to staging with deploy.sh.', kind: 'fact' }] }) };
      return chat.shift() ?? { text: 'done' };
    });
    const dataDir = tempDir();
    const work = tempDir();
    const cronPort: CronPort = () => ({ stop: () => {}, nextRunAfter: (at) => at + 86_400_000 });
    const start = (at: number): { cairn: TestCairn; telegram: RecordingAdapter } => {
      const config = testConfig(rig.server.url, { TELEGRAM_ALLOWED_USERS: '100', TELEGRAM_ADMIN_USERS: '100', CAIRN_AUDIT_EVERY: '15' }, dataDir);
      const cairn = rig.startWith(config, { clock: new ManualClock(at), cronPort });
      const telegram = new RecordingAdapter('telegram');
      cairn.gateway.attach(telegram);
      return { cairn, telegram };
    };
    let sent = 0;
    const from = (telegram: RecordingAdapter, text: string, extra: Partial<InboundMessage> = {}) =>
      telegram.message(text, { senderId: '100', userId: USER, conversationId: 'telegram:dm:100', messageId: `t${++sent}`, ...extra });

    // Day 1: a deploy with a file and the terminal; reflection makes a skill of it.
    const day1 = Date.UTC(2026, 10, 24, 9);
    let { cairn, telegram } = start(day1);
    chat.push(
      { toolCalls: [{ name: 'write_file', arguments: { path: `${work}/deploy.sh`, content: 'echo deployed heron\n' } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: `sh ${work}/deploy.sh` } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: 'echo checked' } }] },
      { text: 'Deployed heron to staging.' },
    );
    reflections.push({ ...NO_CHANGE, skill: { action: 'create', name: 'deploying-heron', description: 'How to deploy heron to staging. Use when asked to deploy heron.', body: '## Steps\n1. Run deploy.sh.\n', reason: 'it worked' } });
    await cairn.gateway.receive(from(telegram, 'please deploy heron to staging'));
    await cairn.learning.idle();
    expect(telegram.texts()).toEqual(['Deployed heron to staging.']);
    const ran = rig.server.chatRequests().flatMap((body) => body.messages as { role: string; content: string }[]).filter((m) => m.role === 'tool');
    expect(ran.map((m) => m.content).join('\n')).toContain('deployed heron');
    expect(cairn.skills.find('deploying-heron')?.source.kind).toBe('learned');
    await cairn.gateway.receive(from(telegram, '/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    expect(cairn.notes.store.list(USER, { limit: 10 }).map((note) => note.text)).toEqual(['The user deploys the app heron to staging with deploy.sh.']);
    await cairn.close();

    // Day 2, after a restart: the new conversation's prompt lists the skill and recalls the note; the answer was wrong.
    ({ cairn, telegram } = start(day1 + 24 * 3_600_000));
    chat.push({ toolCalls: [{ name: 'skill_view', arguments: { name: 'deploying-heron' } }] }, { toolCalls: [{ name: 'terminal', arguments: { command: 'echo deploying' } }] }, { text: 'Deployed again.' });
    await cairn.gateway.receive(from(telegram, 'deploy heron again'));
    await cairn.learning.idle();
    const prompt = rig.server.chatRequests().find((body) => JSON.stringify(body.messages).includes('deploy heron again'));
    expect(String(prompt?.messages?.[0]?.content)).toContain('deploying-heron');
    expect(JSON.stringify(prompt?.messages)).toContain('with deploy.sh');
    await cairn.gateway.receive(from(telegram, '/feedback bad it did not deploy', { command: { name: 'feedback', args: 'bad it did not deploy' } }));
    await cairn.learning.idle();
    expect(telegram.texts().at(-1)).toBe("Thanks for telling me. I'll look at what went wrong and do better next time.");
    const [judged] = cairn.learning.tasks.recent(1);
    expect([judged?.request, judged?.feedback, judged?.outcome]).toEqual(['deploy heron again', 'bad', 'failure']);
    expect(judged?.skillsUsed.map((skill) => skill.name)).toEqual(['deploying-heron']);

    // Thirteen more tasks make fifteen: the audit runs, and counts the failure against the skill.
    for (let i = 0; i < 13; i++) {
      chat.push({ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: `answer ${i}` });
      await cairn.gateway.receive(from(telegram, `task ${i}`));
      await cairn.learning.idle();
    }
    expect(cairn.learning.tasks.count()).toBe(15);
    const audits = cairn.db.prepare<[], { trigger: string; status: string; report: string }>('SELECT trigger, status, report FROM audits').all();
    expect(audits.map((audit) => [audit.trigger, audit.status])).toEqual([['every 15 tasks (15)', 'done']]);
    expect(audits[0]?.report).toContain('| deploying-heron | 1 | 1 | 0 | 1 | 0 | 0% |');
    expect(audits[0]?.report).toContain('**user said the answer was wrong** × 1 (e.g. "deploy heron again")');
  });
});
