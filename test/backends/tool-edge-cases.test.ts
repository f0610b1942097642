/** The terminal, read_file and write_file tools on the real local back end, as the model meets them: stderr, base64, encodings, long lines, large files. */
import { describe, expect, it } from 'vitest';
import { adminContext, toolCall, useLocalFileTools } from './helpers.js';

const world = useLocalFileTools();

describe('terminal: a failing build whose errors go to stderr', () => {
  it('shows every error line when the whole output fits in maxOutputChars (stderr is not held to a third while stdout is tiny)', async () => {
    const registry = world.tools();
    // 150 compiler errors of ~60 characters on stderr (~9,000 characters), one line on stdout: 9 KB fits in 12,000.
    const command = 'echo "building..."; for i in $(seq 1 150); do echo "src/module$i.c:42:7: error: unknown type name size_tt (#$i)" >&2; done; exit 2';
    const result = await registry.execute(toolCall('terminal', { command }), adminContext);
    expect(result.content).toMatch(/^exit code 2/);
    expect(result.content.length).toBeLessThan(12_000);
    const missing = Array.from({ length: 150 }, (_, i) => i + 1).filter((n) => !result.content.includes(`(#${n})`));
    expect(missing, 'error lines cut from the middle of stderr although there was room').toEqual([]);
  });
});

describe('write_file with encoding base64', () => {
  it('refuses text that is not base64 and writes nothing', async () => {
    const registry = world.tools();
    const result = await registry.execute(toolCall('write_file', { path: 'logo.png', content: 'here is the image: iVBORw0KGgo=', encoding: 'base64' }), adminContext);
    expect(result.ok).toBe(false);
    expect(result.content).toMatch(/not valid base64/);
    const listed = await registry.execute(toolCall('terminal', { command: 'ls' }), adminContext);
    expect(listed.content).not.toContain('logo.png');
  });

  it('writes the image a data: URL holds (the prefix models often copy comes off)', async () => {
    const registry = world.tools();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const result = await registry.execute(toolCall('write_file', { path: 'logo.png', content: `data:image/png;base64,${png.toString('base64')}`, encoding: 'base64' }), adminContext);
    expect(result.ok, result.content).toBe(true);
    const read = await world.environments.use('s1', 'telegram:dm:1', (environment) => environment.readFile('logo.png'));
    expect(Buffer.from(read).equals(png)).toBe(true);
  });
});

describe('read_file on a log over maxFileBytes', () => {
  it('says how to get the asked lines with the terminal instead of only refusing the file', async () => {
    const registry = world.tools({ maxFileBytes: 1024 * 1024 });
    // A 2 MB log made in the environment by a command (as an app's log would be).
    const made = await registry.execute(toolCall('terminal', { command: 'for i in $(seq 1 40000); do echo "2026-11-24 line $i: request served in 12 ms ok"; done > app.log; wc -c < app.log' }), adminContext);
    expect(made.content).toMatch(/^exit code 0/);
    const result = await registry.execute(toolCall('read_file', { path: 'app.log', startLine: 39990, maxLines: 11 }), adminContext);
    expect(result.ok).toBe(false);
    expect(result.content).toContain("sed -n '39990,40000p' app.log");
    const followed = await registry.execute(toolCall('terminal', { command: "sed -n '39990,40000p' app.log" }), adminContext);
    expect(followed.content).toContain('line 40000:');
  });
});

describe('read_file on a Latin-1 text file', () => {
  it('shows café, not caf\uFFFD (writing back what it showed would corrupt the file)', async () => {
    const registry = world.tools();
    await world.environments.use('s1', 'telegram:dm:1', (environment) => environment.writeFile('menu.csv', Buffer.from('name;price\ncaf\xe9;2.50\ncr\xe8me br\xfbl\xe9e;6\n', 'latin1')));
    const result = await registry.execute(toolCall('read_file', { path: 'menu.csv' }), adminContext);
    expect(result.ok).toBe(true);
    expect(result.content).not.toContain('\uFFFD');
    expect(result.content).toContain('café');
    expect(result.content.split('\n')[0]).toMatch(/not UTF-8/);
  });
});

describe('read_file on a one-line file longer than a page (minified JSON saved by curl)', () => {
  it('tells the model how to read past the cut, or shows the rest on a later call', async () => {
    const registry = world.tools();
    const items = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `item-${i}` }));
    const json = JSON.stringify({ items, total: 2000, next: 'cursor-END-OF-PAGE' });
    expect(json.length).toBeGreaterThan(40_000);
    await registry.execute(toolCall('write_file', { path: 'data.json', content: json }), adminContext);
    const page = await registry.execute(toolCall('read_file', { path: 'data.json' }), adminContext);
    expect(page.ok).toBe(true);
    expect(page.content).toContain('line cut');
    // The end of the file ("total", "next") is unreachable through read_file and the result gives no way on.
    expect(page.content, 'no hint how to read the rest of the cut line').toMatch(/call again|read on|startChar|start_char|terminal/i);
    let rest = page;
    for (let next = /startChar (\d+)/.exec(rest.content); next; next = /startChar (\d+)/.exec(rest.content)) {
      rest = await registry.execute(toolCall('read_file', { path: 'data.json', startLine: 1, startChar: Number(next[1]) }), adminContext);
      expect(rest.ok, rest.content).toBe(true);
    }
    expect(rest.content).toContain('"next":"cursor-END-OF-PAGE"}');
  });
});
