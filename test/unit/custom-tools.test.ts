/** Tool modules: what ./load.ts refuses (each with the file and what to change), and how ./wrap.ts runs a tool. */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { ManualTimers } from '../backends/helpers.js';
import { ConfigError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { BUILTIN_TOOL_NAMES, loadToolModules, type LoadedTool } from '../../src/tools/custom/load.js';
import { NOTHING_RETURNED, registerCustomTools } from '../../src/tools/custom/wrap.js';
import { createCairn } from '../../src/main.js';

/** The problems loading `source` (as module `name`) gives, one string each. */
async function problemsOf(source: string, name = 'tool.mjs'): Promise<string[]> {
  const folder = tempDir('tool-module-');
  writeFileSync(join(folder, name), source);
  try {
    await loadToolModules([join(folder, name)]);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((problem) => problem.replace(join(folder, name), '<file>'));
  }
}

const EMPTY = '{ type: "object", properties: {} }';

describe('loading tool modules', () => {
  it('says what is wrong with a tool, naming the file, and every problem at once', async () => {
    const cases: [string, string][] = [
      ['export const helper = 1;', '<file>: it exports "helper", but has no default export and no "tools" list: write `export default { name, description, parameters, run }`'],
      ['export default [];', 'its list of tools is empty'],
      ['export default () => "x";', 'its export is a function, not a tool'],
      [`export default { name: "a", description: "b", parameters: ${EMPTY}, run() {}, adminonly: false };`, '"adminonly" is not a key of a tool (a tool has name, description, parameters, run, adminOnly, private, timeoutSeconds, needsApproval, approvedBy).'],
      [`export default { name: "a", description: "", parameters: ${EMPTY}, run() {} };`, '"description" is missing'],
      [`export default { name: "a", description: "b", parameters: ${EMPTY}, run: "x" };`, '"run" is the text "x": give the function that does the work'],
      [`export default { name: "a", description: "b", parameters: ${EMPTY}, run() {}, adminOnly: "no" };`, '"adminOnly" is the text "no": write true or false.'],
      [`export default { name: "a", description: "b", parameters: ${EMPTY}, run() {}, timeoutSeconds: 0 };`, '"timeoutSeconds" is number 0: write a number of seconds above 0, at most 3600 (default 60).'],
      ['export default { name: "a", description: "b", run() {} };', '"parameters" is missing'],
      ['export default { name: "a", description: "b", parameters: { type: "string" }, run() {} };', '"parameters" must describe an object (type "object", with "properties")'],
      ['export default { name: "a", description: "b", parameters: { type: "object", required: "id" }, run() {} };', '"parameters" is not a valid JSON Schema: parameters/required must be array.'],
      ['export default { name: "a", description: "b", parameters: { _def: {}, safeParse() {} }, run() {} };', '"parameters" is a zod 3 schema'],
    ];
    for (const [source, expected] of cases) {
      const [problem] = await problemsOf(source);
      expect(problem, source).toContain(expected);
      expect(problem, source).toMatch(/^CAIRN_TOOL_MODULES \(or "tools.modules" in the config file\): <file>: /);
    }
    // Two tools, two problems, said together.
    const two = await problemsOf(`export default [{ name: "bad name!", description: "b", parameters: ${EMPTY}, run() {} }, { name: "current_time", description: "b", parameters: ${EMPTY}, run() {} }];`);
    expect(two).toEqual([
      'CAIRN_TOOL_MODULES (or "tools.modules" in the config file): <file>: tool 1 of 2 ("bad name!"): the name "bad name!" is not one the model providers take: use letters, digits, _ and - only, at most 64 (e.g. "bad_name").',
      `CAIRN_TOOL_MODULES (or "tools.modules" in the config file): <file>: tool 2 of 2 ("current_time"): "current_time" is the name of one of Cairn's own tools: choose another (e.g. "my_current_time").`,
    ]);
  });

  it('refuses parameters some provider would refuse the whole request for (one such tool left every message unanswered on Gemini)', async () => {
    const recursive = await problemsOf('export default { name: "a", description: "b", parameters: { type: "object", properties: { node: { $ref: "#/$defs/n" } }, $defs: { n: { type: "string" } } }, run() {} };');
    expect(recursive[0]).toContain('"parameters" uses what some model providers refuse (parameters.node: "$ref"; parameters: "$defs"), and Gemini refuses every request that carries it');
    const tuple = await problemsOf('export default { name: "a", description: "b", parameters: { type: "object", properties: { at: { type: "array", prefixItems: [{ type: "number" }, { type: "number" }] } } }, run() {} };');
    expect(tuple[0]).toContain('parameters.at: "prefixItems"');
  });

  it('sends a zod discriminated union as anyOf and a nullable field with nullable, which every provider takes', async () => {
    const folder = tempDir('tool-module-');
    mkdirSync(join(folder, 'node_modules'));
    symlinkSync(resolve('node_modules/zod'), join(folder, 'node_modules', 'zod'));
    writeFileSync(join(folder, 'kinds.ts'), `import { z } from 'zod';
export default { name: 'a', description: 'b', run: () => '', parameters: z.object({
  target: z.discriminatedUnion('kind', [z.object({ kind: z.literal('order'), id: z.string() }), z.object({ kind: z.literal('ticket'), key: z.string() })]),
  note: z.string().nullable(),
}) };`);
    const [tool] = await loadToolModules([join(folder, 'kinds.ts')]);
    const properties = tool?.jsonSchema.properties as Record<string, Record<string, unknown>>;
    expect(properties.target?.anyOf).toHaveLength(2);
    expect(properties.note).toEqual({ type: 'string', nullable: true });
  });

  it("knows every name Cairn's own tools use, whether or not this configuration turns them on", async () => {
    const cairn = createCairn(testConfig('http://127.0.0.1:9/v1', { CAIRN_SEARCH_PROVIDER: 'searxng', CAIRN_SEARCH_URL: 'http://127.0.0.1:9', CAIRN_VISION_MODEL: 'v' }), { logger: silentLogger });
    try {
      expect(cairn.tools.names().filter((name) => !BUILTIN_TOOL_NAMES.has(name))).toEqual([]);
    } finally {
      await cairn.close();
    }
  });

  it('names what is missing: a path, a folder without modules, a file that is no module', async () => {
    const folder = tempDir('tool-modules-');
    mkdirSync(join(folder, 'empty'));
    writeFileSync(join(folder, 'notes.md'), '# notes');
    const error = await loadToolModules([join(folder, 'missing.ts'), join(folder, 'empty'), join(folder, 'notes.md')]).then(() => undefined, (thrown: unknown) => thrown as ConfigError);
    expect(error?.problems.map((problem) => problem.replaceAll(folder, '<dir>'))).toEqual([
      'CAIRN_TOOL_MODULES (or "tools.modules" in the config file): <dir>/missing.ts does not exist: write the path of a .js or .ts module, or of a folder of them (relative paths start from the folder Cairn starts in).',
      'CAIRN_TOOL_MODULES (or "tools.modules" in the config file): the folder <dir>/empty holds no .js or .ts module (files ending .test.ts or .d.ts are left out).',
      'CAIRN_TOOL_MODULES (or "tools.modules" in the config file): <dir>/notes.md is not a JS or TS module (.js, .mjs, .cjs, .ts, .mts or .cts).',
    ]);
  });

  it('gives up on a module that does not finish loading (a top-level await on a server that does not answer)', async () => {
    const folder = tempDir('tool-module-');
    writeFileSync(join(folder, 'slow.mjs'), 'await new Promise(() => {});\nexport default {};\n');
    const timers = new ManualTimers();
    const loading = loadToolModules([join(folder, 'slow.mjs')], { timers }).then(() => undefined, (thrown: unknown) => thrown as ConfigError);
    for (let i = 0; i < 1000 && timers.delays().length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(timers.delays()).toEqual([30_000]);
    timers.fireAll();
    expect((await loading)?.problems[0]).toContain(`the tool module ${join(folder, 'slow.mjs')} did not finish loading within 30 s`);
  });
});

/** A loaded tool as ./load.ts makes one, around `run`. */
function loaded(run: LoadedTool['run'], extra: Partial<LoadedTool> = {}): LoadedTool {
  return { file: '/opt/acme/tool.ts', name: 'acme', description: 'Acme', parameters: z.object({}), jsonSchema: { type: 'object', properties: {} }, run, adminOnly: false, private: false, timeoutSeconds: 5, needsApproval: false, approvedBy: 'caller', ...extra };
}

function context(signal = new AbortController().signal): ToolContext {
  return { sessionId: 's1', conversationId: 'slack:T1:C1', userId: 'person:dana', platform: 'slack', isAdmin: false, signal, now: () => Date.UTC(2026, 10, 24), sender: { identity: 'slack:T1:U1', id: 'U1', name: 'Dana', isDirect: false } };
}

function registryWith(tool: LoadedTool, timers = new ManualTimers(), secrets: string[] = []): ToolRegistry {
  const registry = new ToolRegistry();
  registerCustomTools(registry, [tool], { logger: silentLogger, secrets, timers });
  return registry;
}

const call = { id: 'c1', name: 'acme', arguments: '{}' };

describe('running a tool from a module', () => {
  it('gives run() who asked, the conversation, the time and a signal', async () => {
    let seen: unknown;
    await registryWith(loaded((_args, ctx) => void (seen = { ...ctx, signal: ctx.signal instanceof AbortSignal }))).execute(call, context());
    expect(seen).toEqual({
      signal: true,
      caller: { person: 'person:dana', account: 'slack:T1:U1', platform: 'slack', platformUserId: 'U1', name: 'Dana', isAdmin: false, accounts: ['slack:T1:U1'] },
      conversation: { id: 'slack:T1:C1', isDirect: false },
      now: new Date(Date.UTC(2026, 10, 24)),
    });
  });

  it('stops a call past its timeoutSeconds, aborting its signal, and tells the model; a tool that ignores the signal is not waited for', async () => {
    const timers = new ManualTimers();
    let signal: AbortSignal | undefined;
    const registry = registryWith(loaded((_args, ctx) => ((signal = ctx.signal), new Promise(() => {}))), timers);
    const outcome = registry.execute(call, context());
    await Promise.resolve();
    expect(timers.delays()).toEqual([5_000]);
    timers.fireAll();
    expect(await outcome).toEqual({ ok: false, error: 'tool_error', content: 'Error from acme: it did not finish within 5 s and was stopped; it may have done part of its work. Tell the user it timed out rather than calling it again at once.' });
    expect(signal?.aborted).toBe(true);
  });

  it('ends the turn when the turn is stopped (/stop, a restart), as Cairn\'s own tools do', async () => {
    const stop = new AbortController();
    const outcome = registryWith(loaded((_args, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('fetch aborted')))))).execute(call, context(stop.signal));
    stop.abort(new Error('stopped by the user'));
    await expect(outcome).rejects.toThrow('stopped by the user');
  });

  it('reads nothing as done, data as JSON, and says what cannot be sent; Cairn\'s secrets are masked', async () => {
    expect((await registryWith(loaded(() => undefined)).execute(call, context())).content).toBe(NOTHING_RETURNED);
    expect((await registryWith(loaded(() => ({ n: 1 }))).execute(call, context())).content).toBe('{\n  "n": 1\n}');
    expect((await registryWith(loaded(() => ({ n: 1n }))).execute(call, context())).content).toBe('Error from acme: run() returned a value that cannot be written as JSON (Do not know how to serialize a BigInt): return text or plain data.');
    const secret = 'super-secret-value-123';
    expect((await registryWith(loaded(() => `the key is ${secret}`), new ManualTimers(), [secret]).execute(call, context())).content).toBe('the key is [redacted]');
    expect((await registryWith(loaded(() => Promise.reject(new Error(`refused ${secret}`))), new ManualTimers(), [secret]).execute(call, context())).content).toBe('Error from acme: refused [redacted]');
  });

  it('checks the arguments with a JSON Schema tool\'s own schema, and sends that schema as written', async () => {
    const jsonSchema = { type: 'object' as const, properties: { summary: { type: 'string' as const, minLength: 5 } }, required: ['summary'] };
    const registry = registryWith(loaded((args) => `got ${JSON.stringify(args)}`, { parameters: z.fromJSONSchema(jsonSchema), jsonSchema }));
    expect(registry.definitions({ isAdmin: false })[0]?.parameters).toEqual(jsonSchema);
    expect((await registry.execute({ ...call, arguments: '{"summary": "hi"}' }, context())).content).toContain('Invalid arguments for acme: summary:');
    expect((await registry.execute({ ...call, arguments: '{"summary": "a longer one"}' }, context())).content).toBe('got {"summary":"a longer one"}');
  });
});
