/**
 * Rejection reasons, end to end. Priya runs Cairn for her team's Telegram group with CAIRN_REFLECTION=propose
 * and the admin channel telegram:-100. Reflection keeps proposing that the nginx skill use sudo, which her
 * servers forbid: she rejects it with `/proposals reject <id> <why>`, and expects the reason kept, shown where
 * proposals are shown (the settled post, /proposals show, `cairn skills proposals --all`), and above all told
 * to reflection before it proposes a change to that skill again, so the same change is not proposed again.
 * Her Reject button says nothing (the reason is empty, and she can say why afterwards); from a terminal she
 * rejects with `cairn skills reject <id> --reason "…"`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from '../learning/helpers.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { runCairnOn } from '../helpers/cli-in-process.js';

const ADMINS = 'telegram:-100';
const NGINX = 'restarting-nginx';
const SUDO_WHY = 'we run nginx as the cairn user; sudo is not allowed on our servers';
const sudo = { ...NO_CHANGE, outcome: 'failure', skill: { action: 'patch', name: NGINX, find: 'Run systemctl restart nginx.', replace: 'Run sudo systemctl restart nginx.', reason: 'permission denied' } };
const disk = (body: string) => ({ ...NO_CHANGE, skill: { action: 'create', name: 'checking-disk-space', description: 'How to check free disk space on a server. Use when a disk may be full.', body, reason: 'asked often' } });
const useNginx = [{ name: 'skill_view', arguments: { name: NGINX } }, { name: 'broken' }];
const three = [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }];
const useLogs = [...three, { name: 'skill_view', arguments: { name: 'rotating-logs' } }];

let rig: LearningRig;
let telegram: RecordingAdapter;

/** The reflector's prompts (the task described), in order. */
function reflectionPrompts(): string[] {
  return rig.model
    .chatRequests()
    .map((body) => (body as unknown as { messages: { content: string }[] }).messages)
    .filter((messages) => messages[0]?.content.startsWith('You review a task'))
    .map((messages) => messages.slice(1).map((m) => m.content).join('\n---\n'));
}

async function admin(text: string): Promise<void> {
  const [name = '', ...args] = text.slice(1).split(' ');
  await rig.cairn.gateway.receive(telegram.message(text, { senderId: '1', userId: 'telegram:1', userName: 'priya', conversationId: ADMINS, isDirect: false, addressed: true, command: { name, args: args.join(' ') } }));
}

describe('scenario: an admin says why she rejects a skill proposal', () => {
  beforeAll(async () => {
    rig = await learningRig({ CAIRN_REFLECTION: 'propose', CAIRN_AUDIT_EVERY: '0', CAIRN_ADMIN_CHANNEL: ADMINS, TELEGRAM_ADMIN_USERS: '1' });
    telegram = new RecordingAdapter('telegram');
    rig.cairn.gateway.attach(telegram);
    rig.cairn.skills.writer.create({ name: NGINX, description: 'How to restart nginx. Use when the site is down.', body: '## Steps\n1. Run systemctl restart nginx.\n2. Check the site.\n' }, { author: 'person' });
    rig.cairn.skills.writer.create({ name: 'rotating-logs', description: 'How to rotate application logs. Use when logs grow large.', body: '## Steps\n1. Run logrotate -f.\n' }, { author: 'person' });
  });
  afterAll(() => rig.close());

  it('monday: `/proposals reject <id> <why>` keeps the reason, and the posted proposal shows who and why', async () => {
    rig.reflections.push(sudo);
    await rig.task('the site is down on web1', useNginx);
    const [proposal] = rig.cairn.learning.proposals.pending();
    expect(proposal?.change.name).toBe(NGINX);
    const posted = telegram.sent.find((s) => s.conversationId === ADMINS && s.reply.text.startsWith('Cairn proposes'));
    await admin(`/proposals reject ${proposal!.id} ${SUDO_WHY}`);
    expect(telegram.texts().at(-1)).toBe(`Rejected proposal #${proposal!.id}; reflection is told why before it proposes a change to "${NGINX}" again.`);
    expect(rig.cairn.learning.proposals.get(proposal!.id)).toMatchObject({ status: 'rejected', decidedBy: 'telegram:1', decidedByName: 'priya', decisionNote: SUDO_WHY });
    await rig.cairn.learning.idle();
    expect(telegram.edited.at(-1)?.text).toBe(`${posted?.reply.text}\n🚫 Rejected by priya: ${SUDO_WHY}.`);
  });

  it('/proposals show tells why it was rejected', async () => {
    await admin('/proposals show 1');
    expect(telegram.texts().at(-1)).toContain(`(rejected by priya: ${SUDO_WHY})`);
  });

  it('tuesday: reflection on the next nginx task is told what was rejected and why, and proposes something else', async () => {
    rig.reflections.push({ ...NO_CHANGE, outcome: 'failure' });
    await rig.task('the site is down on web2', useNginx);
    const prompt = reflectionPrompts().at(-1) ?? '';
    expect(prompt).toContain(`An admin rejected these earlier proposals for "${NGINX}"`);
    expect(prompt).toContain('replace "Run systemctl restart nginx." with "Run sudo systemctl restart nginx."');
    expect(prompt).toContain(`Rejected: "${SUDO_WHY}"`);
    expect(rig.cairn.learning.proposals.pending()).toEqual([]);
  });

  it('a task with another skill is not told of the nginx rejection', async () => {
    await rig.task('rotate the application logs', [{ name: 'skill_view', arguments: { name: 'rotating-logs' } }, { name: 'broken' }]);
    const prompt = reflectionPrompts().at(-1) ?? '';
    expect(prompt).toContain('rotating-logs');
    expect(prompt).not.toContain('sudo');
    expect(prompt).not.toContain('An admin rejected');
  });

  it('the same rejected patch proposed again goes back to the model once, then is dropped: nothing new waits', async () => {
    const before = reflectionPrompts().length;
    rig.reflections.push(sudo, sudo);
    await rig.task('the site is down on web3', useNginx);
    const prompts = reflectionPrompts();
    expect(prompts.length).toBe(before + 2);
    expect(prompts.at(-1)).toContain(`an admin rejected this very change before (proposal #1: "${SUDO_WHY}")`);
    expect(rig.cairn.learning.proposals.pending()).toEqual([]);
  });

  it('wednesday: the Reject button carries no reason; she can say why afterwards', async () => {
    rig.reflections.push(disk('## Steps\n1. Run df -h.\n'));
    await rig.task('how full is the disk on web1', three);
    const [proposal] = rig.cairn.learning.proposals.pending();
    expect(proposal?.change.name).toBe('checking-disk-space');
    await admin(`/proposals reject ${proposal!.id}`);
    expect(rig.cairn.learning.proposals.get(proposal!.id)).toMatchObject({ status: 'rejected', decidedByName: 'priya', decisionNote: undefined });
    expect(telegram.texts().at(-1)).toBe(`Rejected proposal #${proposal!.id}. To tell reflection why (so it does not propose the same again), send /proposals reject ${proposal!.id} <why>.`);
    await admin(`/proposals reject ${proposal!.id} the monitoring dashboard shows disk space`);
    expect(telegram.texts().at(-1)).toBe(`Kept why proposal #${proposal!.id} was rejected; reflection is told it before it proposes a change to "checking-disk-space" again.`);
    expect(rig.cairn.learning.proposals.get(proposal!.id)?.decisionNote).toBe('the monitoring dashboard shows disk space');
    await admin(`/proposals reject ${proposal!.id} changed my mind`);
    expect(telegram.texts().at(-1)).toBe(`Proposal #${proposal!.id} is already rejected by priya: the monitoring dashboard shows disk space.`);
  });

  it('a new skill of a rejected name (not shown up front) goes back to the model with the rejection before it is proposed', async () => {
    const before = reflectionPrompts().length;
    rig.reflections.push(disk('## Steps\n1. Run du -sh /*.\n'), NO_CHANGE);
    await rig.task('how full is the disk on web2', three);
    const prompts = reflectionPrompts();
    expect(prompts.length).toBe(before + 2);
    expect(prompts.at(-1)).toContain('An admin rejected these earlier proposals for "checking-disk-space"');
    expect(prompts.at(-1)).toContain('Rejected: "the monitoring dashboard shows disk space"');
    expect(rig.cairn.learning.proposals.pending()).toEqual([]);
  });

  it('friday, from a terminal: `cairn skills reject <id> --reason` keeps it, and `cairn skills proposals --all` shows every reason', async () => {
    rig.reflections.push({ ...NO_CHANGE, skill: { action: 'patch', name: 'rotating-logs', find: 'Run logrotate -f.', replace: 'Delete the old logs.', reason: 'faster' } });
    await rig.task('rotate the application logs again', useLogs);
    const [proposal] = rig.cairn.learning.proposals.pending();
    expect(proposal?.change.name).toBe('rotating-logs');
    const dir = rig.cairn.config.dataDir;
    expect(await runCairnOn(dir, rig.model.url, 'skills', 'reject', String(proposal!.id), '--reason', 'we keep logs for 90 days')).toEqual([`Rejected proposal #${proposal!.id} (we keep logs for 90 days).`]);
    expect(rig.cairn.learning.proposals.get(proposal!.id)).toMatchObject({ status: 'rejected', decidedBy: 'cli', decisionNote: 'we keep logs for 90 days' });
    const listed = await runCairnOn(dir, rig.model.url, 'skills', 'proposals', '--all');
    expect(listed.join('\n')).toContain(`[rejected by priya: ${SUDO_WHY}]`);
    expect(listed.join('\n')).toContain('[rejected by priya: the monitoring dashboard shows disk space]');
    expect(listed.join('\n')).toContain('[rejected from the terminal (cairn skills reject): we keep logs for 90 days]');
  });

  it('the posted proposal rejected from the terminal says so, with the reason, at the admin channel\'s next round', async () => {
    await rig.cairn.learning.start();
    await rig.cairn.learning.idle();
    expect(telegram.edited.at(-1)?.text).toMatch(/\n🚫 Rejected from the terminal \(cairn skills reject\): we keep logs for 90 days\.$/);
  });

  it('words after the id in the terminal are the reason too; giving it twice is refused and rejects nothing', async () => {
    rig.reflections.push({ ...NO_CHANGE, skill: { action: 'patch', name: 'rotating-logs', find: 'Run logrotate -f.', replace: 'Run logrotate -f -v.', reason: 'verbose' } });
    await rig.task('rotate the application logs once more', useLogs);
    const [proposal] = rig.cairn.learning.proposals.pending();
    const dir = rig.cairn.config.dataDir;
    await expect(runCairnOn(dir, rig.model.url, 'skills', 'reject', String(proposal!.id), 'too', 'noisy', '--reason', 'noisy')).rejects.toThrow(/Give the reason once/);
    expect(rig.cairn.learning.proposals.get(proposal!.id)?.status).toBe('pending');
    await runCairnOn(dir, rig.model.url, 'skills', 'reject', String(proposal!.id), 'too', 'noisy');
    expect(rig.cairn.learning.proposals.get(proposal!.id)?.decisionNote).toBe('too noisy');
  });
});
