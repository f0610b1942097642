/**
 * A busy Cairn a year on, CAIRN_REFLECTION=auto: reflection has written some 300 learned skills,
 * a team folder in CAIRN_SKILLS_DIRS brings 100 more, and Cairn ships its bundled ones. Among them
 * "deploy-staging", which a deploy to staging should find and improve, not copy. Follow a person's
 * deploy and the operator's look at the catalog and the history:
 *
 *   - reflection on a deploy that used no skill is shown the existing skills close to it, so it
 *     patches deploy-staging instead of writing "deploying-to-staging" beside it; a create it
 *     still proposes under a name of the same words is sent back with deploy-staging's text;
 *   - the agent's own skill_create of "staging-deploy" is refused, naming deploy-staging;
 *   - a session opened with a greeting lists the skills people use, not the first letters of
 *     the alphabet, and the same opening gives the same catalog (the provider's cache hits);
 *   - `cairn skills list/history` with hundreds of entries: filtered, and as JSON;
 *   - `/skills` in chat answers in one message, and `/skills staging` finds the staging skills.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { learningRig, NO_CHANGE, type LearningRig } from '../learning/helpers.js';
import { tempDir } from '../helpers/cairn.js';
import type { RecordedRequest } from '../fakes/model-server.js';
import { runCairnOn } from '../helpers/cli-in-process.js';

const DEPLOY_BODY = ['## When to use', 'Deploying a service to staging.', '', '## Steps', '1. Build the image.', '2. Push it to the staging registry.', '3. Run `deploy --env staging`.', ''].join('\n');

/** `count` skill folders `<prefix>-<topic>` under `root`, each about a different thing. */
function writeSkills(root: string, prefix: string, count: number): void {
  const topics = ['rotating-logs', 'renewing-certificates', 'tuning-postgres', 'triaging-alerts', 'resizing-volumes', 'pruning-images', 'rotating-keys', 'restoring-backups', 'upgrading-node', 'auditing-access'];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${topics[i % topics.length]}-${i}`;
    mkdirSync(join(root, name), { recursive: true });
    writeFileSync(join(root, name, 'SKILL.md'), `---\nname: ${name}\ndescription: ${topics[i % topics.length]?.replace('-', ' ')} for system ${i}. Use when that system needs it.\n---\n\n## Steps\n1. Do step ${i}.\n`);
  }
}

let rig: LearningRig;
afterEach(async () => {
  await rig?.close();
});

/** A Cairn whose learned folder holds 300 skills and deploy-staging, with a team folder of 100. */
async function busyCairn(): Promise<LearningRig> {
  const team = tempDir();
  writeSkills(team, 'team', 100);
  const created = await learningRig({ CAIRN_REFLECTION: 'auto', CAIRN_SKILLS_DIRS: team });
  writeSkills(join(created.cairn.config.dataDir, 'skills'), 'ops', 300);
  created.cairn.skills.writer.create({ name: 'deploy-staging', description: 'Deploys a service to the staging cluster. Use when someone asks to deploy to staging.', body: DEPLOY_BODY }, { author: 'agent' });
  return created;
}

const reflectionPrompts = (r: LearningRig): string[] =>
  r.model.requests
    .map((request: RecordedRequest) => (request.body as { messages: { content: string }[] }).messages)
    .filter((messages) => messages[0]?.content.startsWith('You review a task'))
    .map((messages) => messages.map((m) => m.content).join('\n---\n'));

const THREE_CALLS = [{ name: 'current_time' }, { name: 'current_time' }, { name: 'current_time' }];

describe('a year of learned skills: reflection among hundreds', () => {
  it('shows the reflector the existing skills close to the task', async () => {
    rig = await busyCairn();
    await rig.task('please deploy the billing api to staging', THREE_CALLS);
    const [prompt] = reflectionPrompts(rig);
    expect(prompt).toContain('deploy-staging: Deploys a service to the staging cluster.');
    // Close ones only: not 400 lines of catalog.
    expect(prompt).not.toContain('ops-rotating-logs-0');
  });

  it('sends a create of "deploying-to-staging" back with deploy-staging\'s text; the patch it then proposes lands', async () => {
    rig = await busyCairn();
    const create = { ...NO_CHANGE, skill: { action: 'create', name: 'deploying-to-staging', description: 'Deploy to staging. Use when deploying to staging.', body: '## Steps\n1. Build.\n2. Push.\n3. Deploy with --wait.\n', reason: 'the deploy needed --wait' } };
    const patch = { ...NO_CHANGE, skill: { action: 'patch', name: 'deploy-staging', find: '3. Run `deploy --env staging`.', replace: '3. Run `deploy --env staging --wait`.', reason: 'the deploy needed --wait' } };
    rig.reflections.push(create, patch);
    await rig.task('please deploy the billing api to staging', THREE_CALLS);
    expect(rig.reflectionRequests()).toBe(2);
    const retry = rig.model.requests.at(-1)?.body as { messages: { content: string }[] };
    expect(retry.messages.at(-1)?.content).toContain('"deploy-staging"');
    expect(retry.messages.at(-1)?.content).toContain('3. Run `deploy --env staging`.');
    expect(existsSync(join(rig.cairn.config.dataDir, 'skills', 'deploying-to-staging'))).toBe(false);
    expect(rig.cairn.skills.versions.latest('deploy-staging')).toMatchObject({ version: 2, action: 'patch', author: 'agent' });
    expect(rig.cairn.skills.find('deploy-staging')?.document.body).toContain('--wait');
  });

  it("refuses the agent's own skill_create of \"staging-deploy\", naming deploy-staging", async () => {
    rig = await busyCairn();
    await rig.task('save how to deploy to staging', [{ name: 'skill_create', arguments: { name: 'staging-deploy', description: 'Deploy to staging.', body: '## Steps\n1. Deploy.\n' } }]);
    const answer = rig.model.requests.find((request) => JSON.stringify(request.body).includes('"role":"tool"'))?.body as { messages: { role: string; content: string }[] };
    const result = answer.messages.find((m) => m.role === 'tool')?.content ?? '';
    expect(result).toContain('deploy-staging');
    expect(result).toContain('skill_patch');
    expect(existsSync(join(rig.cairn.config.dataDir, 'skills', 'staging-deploy'))).toBe(false);
  });
});

describe('a year of learned skills: the catalog in the prompt', () => {
  const systemPrompts = (r: LearningRig): string[] =>
    r.model.requests.map((request: RecordedRequest) => String((request.body as { messages: { content: string }[] }).messages[0]?.content ?? '')).filter((system) => !system.startsWith('You review a task'));

  it('opened with a greeting, lists the skills people use (not the first letters of the alphabet), the same way each time', async () => {
    rig = await busyCairn();
    const { skills } = rig.cairn;
    const now = rig.cairn.manualClock.now();
    for (const name of ['ops-upgrading-node-298', 'team-pruning-images-5']) {
      const skill = skills.find(name);
      if (!skill) throw new Error(`no ${name}`);
      const version = skills.versions.ensure(skill, now);
      for (let turn = 1; turn <= 3; turn++) skills.uses.record({ sessionId: `old-${turn}`, turn, name, version: version.version, viewedAt: now - turn * 86_400_000 });
    }
    await rig.task('hello', []);
    const [system] = systemPrompts(rig);
    expect(system).toMatch(/not listed here/);
    expect(system).toContain('- ops-upgrading-node-298:');
    expect(system).toContain('- team-pruning-images-5:');
    // Byte-identical for the same opening: the provider's prompt cache can hit across sessions.
    const context = { userId: 'u', userName: 'U', conversationId: 'c2', platform: 'test', isDirect: true, firstMessage: 'hello', startedAt: now };
    expect(skills.catalog.render(context)).toBe(skills.catalog.render({ ...context, conversationId: 'c3' }));
    expect(system).toContain(skills.catalog.render(context));
  });
});

describe("a year of learned skills: the operator's commands", () => {
  const saved = { dirs: process.env.CAIRN_SKILLS_DIRS, data: process.env.CAIRN_DATA_DIR };
  afterEach(() => {
    for (const [name, value] of [['CAIRN_SKILLS_DIRS', saved.dirs], ['CAIRN_DATA_DIR', saved.data]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('`cairn skills list staging` finds the overlapping skills among 400', async () => {
    rig = await busyCairn();
    const { config } = rig.cairn;
    process.env.CAIRN_SKILLS_DIRS = config.skills.dirs.join(',');
    const learned = join(config.dataDir, 'skills', 'staging-deploy-fix');
    mkdirSync(learned, { recursive: true });
    writeFileSync(join(learned, 'SKILL.md'), '---\nname: staging-deploy-fix\ndescription: Fixes a failed deploy on Staging. Use when a staging deploy fails.\n---\n\n## Steps\n1. Read the log.\n');
    const all = await runCairnOn(config.dataDir, rig.model.url, 'skills', 'list');
    expect(all.filter((line) => /^\S+ {2}\[/.test(line)).length).toBeGreaterThan(400);
    const found = await runCairnOn(config.dataDir, rig.model.url, 'skills', 'list', 'staging');
    expect(found.filter((line) => /^\S+ {2}\[/.test(line)).map((line) => line.split(' ')[0])).toEqual(['deploy-staging', 'staging-deploy-fix']);
    expect(found.at(-1)).toMatch(/^2 of 40\d skills match "staging"\.$/);
    const json = JSON.parse((await runCairnOn(config.dataDir, rig.model.url, 'skills', 'list', 'deploy', 'fix', '--json')).join('\n')) as { name: string }[];
    expect(json.map((row) => row.name)).toEqual(['staging-deploy-fix']);
  });

  it('`cairn skills history <name> --json` gives the versions, without their texts', async () => {
    rig = await busyCairn();
    const { config, skills } = rig.cairn;
    for (let v = 1; v < 50; v++) skills.writer.patch({ name: 'deploy-staging', find: v === 1 ? '## Steps\n' : `## Steps ${v - 1}\n`, replace: `## Steps ${v}\n`, target: 'body' }, { author: 'agent', reason: `round ${v}` });
    const rows = JSON.parse((await runCairnOn(config.dataDir, rig.model.url, 'skills', 'history', 'deploy-staging', '--json')).join('\n')) as Record<string, unknown>[];
    expect(rows).toHaveLength(50);
    expect(rows.at(-1)).toMatchObject({ version: 50, action: 'patch', author: 'agent', reason: 'round 49' });
    expect(rows[0]).not.toHaveProperty('text');
  });
});

describe('a year of learned skills: /skills in chat', () => {
  const command = async (r: LearningRig, args: string, id: string): Promise<string[]> => {
    const before = r.cairn.adapter.texts().length;
    await r.cairn.gateway.receive(r.cairn.adapter.message(`/skills ${args}`.trim(), { messageId: id, command: { name: 'skills', args } }));
    return r.cairn.adapter.texts().slice(before);
  };

  it('answers in one message, naming how to find the rest', async () => {
    rig = await busyCairn();
    const replies = await command(rig, '', 's1');
    expect(replies).toHaveLength(1);
    expect(replies[0]?.length).toBeLessThan(4_000);
    expect(replies[0]).toMatch(/^Skills \(40\d; the first 20\):/);
    expect(replies[0]).toContain('/skills <word>');
  });

  it('`/skills staging` lists the skills about staging', async () => {
    rig = await busyCairn();
    const [reply] = await command(rig, 'staging', 's2');
    expect(reply).toContain('- deploy-staging (learned)');
    expect(reply).not.toContain('No skill named');
  });
});

