/** `cairn export`: each format against its schema, dedupe, filters, the validation split, and redaction. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { exportRecords, exportWarnings, validationPath } from '../../src/rl/export/index.js';
import { recordFromTrajectory, recordsFromRuns, type ExportRecord } from '../../src/rl/export/source.js';
import { HERMES_LINE_SCHEMA, OPENAI_LINE_SCHEMA, SHAREGPT_LINE_SCHEMA, validateLine } from '../../src/rl/export/schemas.js';
import type { Trajectory } from '../../src/rl/trajectory.js';
import { sampleTrajectory } from './helpers.js';

function runDir(trajectories: readonly Trajectory[]): string {
  const dir = tempDir('cairn-export-');
  writeFileSync(join(dir, 'trajectories.jsonl'), trajectories.map((t) => `${JSON.stringify(t)}\n`).join(''));
  return dir;
}

async function* from(records: readonly ExportRecord[]) {
  yield* records;
}

const readLines = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
const ajv = new Ajv({ strict: false });
const SCHEMAS = { openai: OPENAI_LINE_SCHEMA, sharegpt: SHAREGPT_LINE_SCHEMA, hermes: HERMES_LINE_SCHEMA };

/** A trajectory with two parallel tool calls, to exercise pairing and merged tool turns. */
const parallel = sampleTrajectory({
  taskId: 'par',
  messages: [
    { role: 'system', content: 'You are Cairn.' },
    { role: 'user', content: 'Time in Oslo and Tokyo?' },
    {
      role: 'assistant',
      content: 'Checking both.',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'current_time', arguments: '{"timeZone":"Europe/Oslo"}' } },
        { id: 'c2', type: 'function', function: { name: 'current_time', arguments: '' } },
      ],
    },
    { role: 'tool', content: '{"iso":"2026-11-24T10:00:00.000Z"}', tool_call_id: 'c1', name: 'current_time' },
    { role: 'tool', content: 'plain text result </tool_response> with a tag in it', tool_call_id: 'c2' },
    { role: 'assistant', content: 'Oslo 10:00, Tokyo 18:00.' },
  ],
});

/** LLaMA-Factory's sharegpt check (data/converter.py, SharegptDatasetConverter), its tags set to Cairn's names. */
function llamaFactoryAccepts(conversations: readonly { from: string }[]): boolean {
  const turns = conversations[0]?.from === 'system' ? conversations.slice(1) : conversations;
  const alternates = turns.every((turn, i) => (i % 2 === 0 ? ['human', 'tool'] : ['gpt', 'function_call']).includes(turn.from));
  return alternates && turns.length % 2 === 0;
}

describe('export formats', () => {
  for (const format of ['openai', 'sharegpt', 'hermes'] as const) {
    it(`${format}: every line passes the format's JSON schema and rules`, async () => {
      const out = join(tempDir(), `${format}.jsonl`);
      const stats = await exportRecords([recordsFromRuns([runDir([sampleTrajectory(), parallel])])], { format, out });
      expect(stats).toMatchObject({ read: 2, written: 2, skipped: { invalid: 0 } });
      const validate = ajv.compile(SCHEMAS[format]);
      for (const line of readLines(out)) {
        expect(validate(line), JSON.stringify(validate.errors)).toBe(true);
        expect(validateLine(format, line)).toEqual([]);
      }
    });
  }

  it('openai: messages with tool_calls and tool results, plus the tool definitions', async () => {
    const out = join(tempDir(), 'openai.jsonl');
    await exportRecords([from([recordFromTrajectory(parallel)])], { format: 'openai', out });
    const [line] = readLines(out) as [{ messages: Record<string, unknown>[]; tools: unknown[] }];
    expect(line.tools).toEqual(parallel.tools);
    expect(line.messages[2]).toEqual({ role: 'assistant', content: 'Checking both.', tool_calls: (parallel.messages[2] as { tool_calls: unknown }).tool_calls });
    expect(line.messages[3]).toEqual({ role: 'tool', tool_call_id: 'c1', content: '{"iso":"2026-11-24T10:00:00.000Z"}' });
    expect(line.messages.at(-1)).toEqual({ role: 'assistant', content: 'Oslo 10:00, Tokyo 18:00.' });
    const single = sampleTrajectory();
    await exportRecords([from([recordFromTrajectory(single)])], { format: 'openai', out });
    expect((readLines(out)[0] as { messages: unknown[] }).messages[2]).toEqual({ role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'current_time', arguments: '{"timeZone":"UTC"}' } }] });
  });

  it('sharegpt: system/human/gpt/tool turns, tool calls as <tool_call> blocks, parallel results in one tool turn', async () => {
    const out = join(tempDir(), 'sharegpt.jsonl');
    await exportRecords([from([recordFromTrajectory(parallel)])], { format: 'sharegpt', out });
    const [line] = readLines(out) as [{ conversations: { from: string; value: string }[]; tools: string }];
    expect(line.conversations.map((t) => t.from)).toEqual(['system', 'human', 'gpt', 'tool', 'gpt']);
    expect(line.conversations[2]?.value).toBe('Checking both.\n<tool_call>\n{"name":"current_time","arguments":{"timeZone":"Europe/Oslo"}}\n</tool_call>\n<tool_call>\n{"name":"current_time","arguments":{}}\n</tool_call>');
    // Joined as LLaMA-Factory joins parallel results: its templates wrap the turn in one <tool_response> block.
    expect(line.conversations[3]?.value).toBe('{"iso":"2026-11-24T10:00:00.000Z"}\n</tool_response>\n<tool_response>\nplain text result </tool_response> with a tag in it');
    expect(JSON.parse(line.tools)).toEqual(parallel.tools);
  });

  it.each(['sharegpt', 'hermes'] as const)('%s: turns alternate after the system prompt, as LLaMA-Factory requires (it skips other examples)', async (format) => {
    const out = join(tempDir(), `${format}.jsonl`);
    await exportRecords([from([recordFromTrajectory(sampleTrajectory()), recordFromTrajectory(parallel)])], { format, out });
    const lines = readLines(out) as { conversations: { from: string; value: string }[] }[];
    expect(lines.map((line) => llamaFactoryAccepts(line.conversations))).toEqual([true, true]);
    // The rules every line is checked against say so too.
    const twoToolTurns = { conversations: [{ from: 'human', value: 'q' }, { from: 'gpt', value: 'a' }, { from: 'tool', value: '1' }, { from: 'tool', value: '2' }, { from: 'gpt', value: 'b' }] };
    expect(validateLine(format, twoToolTurns)).toContain('turn 3: a tool turn must follow a gpt turn');
  });

  it('hermes: tools inside <tools> in the system prompt, results as <tool_response> blocks in one turn', async () => {
    const out = join(tempDir(), 'hermes.jsonl');
    await exportRecords([from([recordFromTrajectory(parallel)])], { format: 'hermes', out });
    const [line] = readLines(out) as [{ conversations: { from: string; value: string }[] }];
    expect(line.conversations.map((t) => t.from)).toEqual(['system', 'human', 'gpt', 'tool', 'gpt']);
    const system = line.conversations[0]?.value ?? '';
    expect(system.startsWith('You are Cairn.')).toBe(true);
    expect(JSON.parse(/<tools>\n([\s\S]*?)\n<\/tools>/.exec(system)?.[1] ?? '')).toEqual(parallel.tools[0]);
    const responses = [...(line.conversations[3]?.value ?? '').matchAll(/<tool_response>\n(.*)\n<\/tool_response>/g)].map((m) => JSON.parse(m[1] ?? ''));
    expect(responses).toEqual([
      { name: 'current_time', content: { iso: '2026-11-24T10:00:00.000Z' } },
      { name: 'current_time', content: 'plain text result </tool_response> with a tag in it' },
    ]);
    // Escaped as Cairn's hermes mode sends it: the tag in the result cannot end its block.
    expect(line.conversations[3]?.value).toContain('\\u003c/tool_response\\u003e with a tag');
    expect(line.conversations[2]?.value).toContain('<tool_call>\n{"name":"current_time"');
  });

  it('refuses broken conversations line by line, saying why', async () => {
    const dangling = sampleTrajectory({ taskId: 'dangling', messages: (sampleTrajectory().messages).filter((m) => m.role !== 'tool') });
    const unknownTool = sampleTrajectory({ taskId: 'unknown', tools: [] });
    const out = join(tempDir(), 'openai.jsonl');
    const stats = await exportRecords([from([dangling, unknownTool, sampleTrajectory()].map(recordFromTrajectory))], { format: 'openai', out });
    expect(stats).toMatchObject({ written: 1, skipped: { invalid: 2 } });
    expect(stats.invalidExamples.join('\n')).toMatch(/task dangling: .*without a result/);
    expect(stats.invalidExamples.join('\n')).toMatch(/task unknown: .*not in tools/);
  });

  it.each(['openai', 'sharegpt', 'hermes'] as const)('%s: leaves out a conversation calling a tool that was not offered (a made-up one)', async (format) => {
    const offered = [{ type: 'function' as const, function: { name: 'write_file', description: 'Write a file.', parameters: { type: 'object' } } }];
    const madeUp = sampleTrajectory({ taskId: 'made-up', tools: [...offered, ...sampleTrajectory().tools.filter((tool) => tool.function.name !== 'current_time')] });
    const fine = sampleTrajectory({ tools: [...offered, ...sampleTrajectory().tools] });
    const out = join(tempDir(), `${format}.jsonl`);
    const stats = await exportRecords([from([madeUp, fine].map(recordFromTrajectory))], { format, out });
    expect(stats).toMatchObject({ written: 1, skipped: { invalid: 1 } });
    expect(stats.invalidExamples.join('\n')).toMatch(/task made-up: .*"current_time", which is not (in tools|among the tools offered)/);
  });
});

describe('export filters', () => {
  it('dedupes, leaves out failures, applies --min-reward, and splits validation by task id, the same way every time', async () => {
    const trajectories = [
      ...Array.from({ length: 40 }, (_, i) => sampleTrajectory({ taskId: `t${i}`, reward: i % 4 === 0 ? 0.2 : 0.9 })),
      sampleTrajectory({ taskId: 'err', status: 'error', reward: null }),
      sampleTrajectory({ taskId: 'unscored', reward: null }),
    ];
    const dir = runDir(trajectories);
    // Identical to t1, in another run (within one run, a task's last line is the one that counts).
    const other = runDir([sampleTrajectory({ taskId: 't1', reward: 0.9 })]);
    const out = join(tempDir(), 'train.jsonl');
    const stats = await exportRecords([recordsFromRuns([dir, other])], { format: 'openai', out, minReward: 0.5, valSplit: 0.25 });
    expect(stats.skipped).toEqual({ failed: 1, belowMinReward: 10, unscored: 1, duplicate: 1, invalid: 0 });
    expect(stats.written).toBe(30);
    expect(stats.train + stats.validation).toBe(30);
    expect(stats.validation).toBeGreaterThan(0);
    expect(stats.files.validation).toBe(validationPath(out));
    const split = () => [readFileSync(out, 'utf8'), readFileSync(validationPath(out), 'utf8')];
    const first = split();
    await exportRecords([recordsFromRuns([dir, other])], { format: 'openai', out, minReward: 0.5, valSplit: 0.25 });
    expect(split()).toEqual(first);
    expect(existsSync(`${out}.tmp-${process.pid}`)).toBe(false);
  });

  it('warns when the training file would be unfit: empty, or too small for OpenAI', async () => {
    // With a single task, its id decides its side: find one that falls in a 0.5 validation share.
    const out = join(tempDir(), 'train.jsonl');
    let stats = await exportRecords([recordsFromRuns([runDir([sampleTrajectory({ taskId: 'a' })])])], { format: 'openai', out, valSplit: 0.5 });
    for (let i = 0; stats.validation === 0; i++) {
      stats = await exportRecords([recordsFromRuns([runDir([sampleTrajectory({ taskId: `t${i}` })])])], { format: 'openai', out, valSplit: 0.5 });
    }
    expect(exportWarnings(stats, 'openai')).toEqual(['The training file is empty: the one example fell in the validation share (a task\'s side is fixed by its id). Lower --val-split, or export more tasks.']);

    const few = await exportRecords([recordsFromRuns([runDir([sampleTrajectory({ taskId: 'a' }), sampleTrajectory({ taskId: 'b', reward: 0.5 })])])], { format: 'openai', out });
    expect(exportWarnings(few, 'openai')).toEqual([`OpenAI fine-tuning needs at least 10 training examples; ${out} has 2.`]);
    expect(exportWarnings(few, 'sharegpt')).toEqual([]);
  });

  it('redacts secrets that reached a trajectory', async () => {
    const leaky = sampleTrajectory({}, 'Use key sk-proj-abcdefghijklmnopqrstuvwxyz and the db password=correcthorse42 — or my-configured-secret.');
    const out = join(tempDir(), 'train.jsonl');
    await exportRecords([from([recordFromTrajectory(leaky)])], { format: 'hermes', out, secrets: ['my-configured-secret'] });
    const text = readFileSync(out, 'utf8');
    for (const secret of ['sk-proj-abcdefghijklmnopqrstuvwxyz', 'correcthorse42', 'my-configured-secret']) expect(text).not.toContain(secret);
    expect(text).toContain('Use key [redacted] and the db password=[redacted]');
  });
});
