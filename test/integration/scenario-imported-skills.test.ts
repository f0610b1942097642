/**
 * A team brings skills written elsewhere into a shared skills folder (CAIRN_SKILLS_DIRS): folders
 * copied from a public repository (a BOM and CRLF, a license, a top-level reference file, a script,
 * a binary asset, a security skill that warns against exfiltration, a description starting with a
 * backtick, which loads with a warning as other agents read it), and some that cannot load (a folder
 * named with capitals and an underscore, a SKILL.md saved as UTF-16, a SKILL.md that is a link to a
 * file outside). `cairn skills validate` says what to fix in which file; the model lists, views and
 * follows what loaded, reads a reference file, is
 * refused files outside the folder; a person edits one by hand while Cairn runs, and the agent
 * refines the security skill it imported.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChatBody, FakeReply, RecordedRequest } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { runCairnInProcess } from '../helpers/cli-in-process.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { writeSkillFolder } from '../skills/helpers.js';

const rig = useFakeModelRig();
afterEach(() => {
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

const PDF = [
  '\uFEFF---',
  'name: pdf',
  'description: Comprehensive PDF manipulation toolkit for extracting text and tables, and filling PDF forms. Use when filling in a PDF form.',
  'license: Proprietary. LICENSE.txt has complete terms',
  '---',
  '',
  '# PDF Processing Guide',
  '',
  'For filling forms, read forms.md first; run scripts/fill_form.py.',
  '',
].join('\r\n');
const CREATOR = [
  '---',
  'name: skill-creator',
  'description: Create new skills and improve existing ones. Use when someone wants to write a skill.',
  'license: Complete terms in LICENSE.txt',
  'metadata:',
  '  author: example-org',
  '---',
  '',
  '# Skill Creator',
  '',
  '## Principle of Lack of Surprise',
  "Don't go along with requests to create misleading skills or skills designed to facilitate unauthorized access, data exfiltration, or other malicious activities.",
  '',
].join('\n');

describe('a team imports skills written elsewhere', () => {
  it('loads what is valid, refuses the rest naming the file and the fix, and never reads outside the folder', async () => {
    const team = tempDir('team-skills-');
    const outside = tempDir('home-');
    writeFileSync(join(outside, 'private-notes.md'), '---\nname: private-notes\ndescription: My notes.\n---\nPRIVATE: the staging password is in the vault.\n');
    writeFileSync(join(outside, 'id_rsa'), 'PRIVATE KEY MATERIAL\n');
    writeSkillFolder(team, 'pdf', PDF, { 'LICENSE.txt': 'Proprietary.\n', 'forms.md': '# Filling forms\r\nCheck the fields first.\r\n', 'scripts/fill_form.py': 'print("fill")\n', 'assets/logo.png': '\x89PNG\x00\x00binary' });
    symlinkSync(join(outside, 'id_rsa'), join(team, 'pdf', 'scripts', 'key.txt'));
    writeSkillFolder(team, 'skill-creator', CREATOR);
    writeSkillFolder(team, 'Brand_Guidelines', '---\nname: Brand_Guidelines\ndescription: Brand colors.\n---\n# Colors\n');
    writeSkillFolder(team, 'gh-cli', '---\nname: gh-cli\ndescription: `gh` pull request workflows\n---\n# Steps\nRun gh.\n');
    mkdirSync(join(team, 'windows-notes'));
    writeFileSync(join(team, 'windows-notes', 'SKILL.md'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('---\r\nname: windows-notes\r\ndescription: Notes.\r\n---\r\n# Notes\r\n', 'utf16le')]));
    mkdirSync(join(team, 'notes'));
    symlinkSync(join(outside, 'private-notes.md'), join(team, 'notes', 'SKILL.md'));

    const dataDir = tempDir();
    const chat: FakeReply[] = [];
    const steps: (() => void)[] = [];
    rig.server.setDefault((request: RecordedRequest) => {
      const system = String((request.body as ChatBody).messages?.[0]?.content ?? '');
      if (system.startsWith('You review a task')) return { text: JSON.stringify({ outcome: 'success', efficient: true, worked: [], failed: [], assumptions: [], doDifferently: [], skill: { action: 'none' } }) };
      if (system.startsWith('You maintain long-term memory')) return { text: JSON.stringify({ notes: [] }) };
      steps.shift()?.();
      return chat.shift() ?? { text: 'done' };
    });
    vi.stubEnv('CAIRN_SKILLS_DIRS', team);
    const cli = async (...args: string[]) => {
      Object.assign(process.env, { CAIRN_DATA_DIR: dataDir, CAIRN_BASE_URL: rig.server.url, CAIRN_MODEL: 'test-model', CAIRN_API_KEY: 'sk-test-secret-key' });
      const lines = await runCairnInProcess(...args);
      const code = process.exitCode ?? 0;
      process.exitCode = undefined;
      return { lines: lines.map((line) => line.replaceAll(team, 'team')), code };
    };

    // The team checks what it copied in: every refusal names its file and what to change; the
    // security skill's advice against exfiltration is not a problem.
    const validate = await cli('skills', 'validate', team);
    expect(validate.code).toBe(1);
    expect(validate.lines).toEqual([
      'team/Brand_Guidelines/SKILL.md: [name-format] name "Brand_Guidelines" has uppercase letters; use lowercase a-z, digits and single hyphens, e.g. "brand-guidelines".',
      'team/gh-cli/SKILL.md: [frontmatter] The frontmatter is not valid YAML: Plain value cannot start with reserved character ` at line 3, column 14. A value starting with @ or ` must be quoted: put the value in quotes.',
      'team/notes/SKILL.md: [path-traversal] is a link that leads outside the skill folder (or nowhere); put a copy of the file there in place of the link, or remove it.',
      'team/pdf/scripts/key.txt: [path-traversal] is a link that leads outside the skill folder (or nowhere); put a copy of the file there in place of the link, or remove it.',
      'team/windows-notes/SKILL.md: [frontmatter] SKILL.md is saved as UTF-16, not UTF-8; save it as UTF-8 (in Notepad: Save As, Encoding UTF-8).',
      '6 skills checked: 5 problems.',
    ]);
    // The history of one that never loaded says why it did not, not that there is no such skill.
    await expect(cli('skills', 'history', 'windows-notes')).rejects.toThrow(/^The skill "windows-notes" is in .*windows-notes but cannot be loaded.*\n.*saved as UTF-16/);
    const list = await cli('skills', 'list');
    expect(list.lines.filter((line) => !line.includes('[bundled')).map((line) => line.split('  ').slice(0, 2).join(' '))).toEqual([
      'gh-cli [extra]',
      'pdf [extra]',
      'skill-creator [extra]',
      'Could not load 3: run `cairn skills validate` for details.',
    ]);
    // The one with a backtick loads as other agents read it; its warning says what validate says.
    expect(list.lines.find((line) => line.startsWith('gh-cli'))).toMatch(/`gh` pull request workflows {2}\(1 warning\)$/);
    expect((await cli('skills', 'show', 'gh-cli')).lines).toContain('# warning: team/gh-cli/SKILL.md: [frontmatter] The frontmatter is not valid YAML: Plain value cannot start with reserved character ` at line 3, column 14. A value starting with @ or ` must be quoted: put the value in quotes. Loaded anyway, reading each such value as plain text the way other agents do.');

    const config = testConfig(rig.server.url, { TELEGRAM_ALLOWED_USERS: '100', CAIRN_SKILLS_DIRS: team }, dataDir);
    const cairn = rig.startWith(config);
    const telegram = new RecordingAdapter('telegram');
    cairn.gateway.attach(telegram);
    let sent = 0;
    const say = async (text: string, command?: { name: string; args: string }) => {
      await cairn.gateway.receive(telegram.message(text, { senderId: '100', userId: 'telegram:100', conversationId: 'telegram:dm:100', messageId: `t${++sent}`, ...(command ? { command } : {}) }));
      await cairn.learning.idle();
      return telegram.texts().at(-1) ?? '';
    };
    const lastTurn = () => rig.server.chatRequests().filter((body) => !/^You (review|maintain)/.test(String(body.messages?.[0]?.content ?? ''))).at(-1);
    const toolResults = () => ((lastTurn()?.messages ?? []) as { role: string; content: unknown }[]).filter((m) => m.role === 'tool').map((m) => String(m.content));

    // In chat: /skills names the folders that did not load; the one that is a link out says so, with nothing of its target.
    const listed = await say('/skills', { name: 'skills', args: '' });
    expect(listed).toContain('- pdf (extra)');
    expect(listed).toContain('Not loaded (the folder or its SKILL.md needs a fix): Brand_Guidelines, notes, windows-notes.');
    const notes = await say('/skills notes', { name: 'skills', args: 'notes' });
    expect(notes).toContain('[path-traversal] SKILL.md is a link to a file outside the skill folder');
    expect(notes).not.toContain('PRIVATE');

    // The model follows the pdf skill: its body, its top-level reference; a link out and a binary file are refused.
    chat.push(
      { toolCalls: [{ name: 'skill_view', arguments: { name: 'pdf' } }] },
      { toolCalls: [{ name: 'skill_view', arguments: { name: 'pdf', file: 'forms.md' } }] },
      { toolCalls: [{ name: 'skill_view', arguments: { name: 'pdf', file: 'scripts/key.txt' } }] },
      { toolCalls: [{ name: 'skill_view', arguments: { name: 'pdf', file: 'assets/logo.png' } }] },
      { toolCalls: [{ name: 'skill_view', arguments: { name: 'notes' } }] },
      { text: 'Filled the form.' },
    );
    expect(await say('please fill in this PDF form')).toBe('Filled the form.');
    const prompt = String(lastTurn()?.messages?.[0]?.content);
    expect(prompt).toContain('- pdf: Comprehensive PDF manipulation toolkit');
    expect(prompt).toContain('- skill-creator: Create new skills');
    expect(prompt).not.toMatch(/- notes:|PRIVATE/);
    const [body, forms, key, logo, linked] = toolResults();
    expect(body).toBe(
      '# Skill: pdf (version 1, extra)\nComprehensive PDF manipulation toolkit for extracting text and tables, and filling PDF forms. Use when filling in a PDF form.\n\n' +
        '# PDF Processing Guide\n\nFor filling forms, read forms.md first; run scripts/fill_form.py.\n\n' +
        'Files in this skill (read one with skill_view and "file"): assets/logo.png, forms.md, LICENSE.txt, scripts/fill_form.py',
    );
    expect(forms).toContain('Check the fields first.');
    expect(key).toContain('resolves (through a link) outside the skill folder');
    expect(logo).toContain('is a binary file');
    expect(linked).toContain('cannot be loaded');
    expect(toolResults().join('\n')).not.toMatch(/PRIVATE/);

    // A person edits the imported skill on disk while Cairn runs; the next view shows it, as a person's version.
    await say('/new', { name: 'new', args: '' });
    chat.push({ toolCalls: [{ name: 'skill_view', arguments: { name: 'pdf' } }] }, { text: 'ok' });
    steps.push(() => writeFileSync(join(team, 'pdf', 'SKILL.md'), PDF.replace('run scripts/fill_form.py.', 'run scripts/fill_form.py --check first.')));
    await say('another PDF form');
    expect(toolResults().at(-1)).toContain('(version 2, extra)');
    expect(toolResults().at(-1)).toContain('--check first.');

    // The agent refines the security skill it imported, with more advice of the same kind: a learned copy shadows the team's.
    chat.push(
      { toolCalls: [{ name: 'skill_view', arguments: { name: 'skill-creator' } }] },
      { toolCalls: [{ name: 'skill_patch', arguments: { name: 'skill-creator', find: 'or other malicious activities.', replace: 'or other malicious activities. Never write a skill that could exfiltrate credentials.', reason: 'the user asked for a credential-forwarding skill' } }] },
      { text: 'Refined.' },
    );
    await say('write me a skill that forwards API keys');
    expect(toolResults().at(-1)).toBe('Patched skill "skill-creator": it is now version 2. skill_view returns the new text.');
    expect(readFileSync(join(dataDir, 'skills', 'skill-creator', 'SKILL.md'), 'utf8')).toContain('Never write a skill that could exfiltrate credentials.');
    await cairn.close();

    const history = async (name: string) => (await cli('skills', 'history', name)).lines.map((line) => line.split(/\s+/).slice(3, 5).join(' '));
    expect(await history('pdf')).toEqual(['import import', 'edit person']);
    expect(await history('skill-creator')).toEqual(['import import', 'patch agent']);
    expect((await cli('skills', 'validate', join(dataDir, 'skills'))).lines).toEqual(['1 skill checked: no problems.']);
  });
});
