/** Pages as browsers read them: byte-order marks, late meta charsets, XML declarations, HTML served untyped, tables and images. */
import { describe, expect, it } from 'vitest';
import { htmlText, pageKind, plainText } from '../../src/web/page-text.js';

function utf16le(text: string): Uint8Array {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

describe('page text decoding', () => {
  it('reads a UTF-16LE text file with a BOM (no charset in the header)', () => {
    const bytes = utf16le('Hello world, this is a log.\n');
    expect(plainText(bytes, 'text/plain').text).toBe('Hello world, this is a log.');
  });

  it('reads windows-1252 (and iso-8859-1, which the web means as it) with its quotes, dashes and euro sign', () => {
    // “Price” – 5 € in the Windows code page: 0x93 0x94 0x96 0x80 were invisible control characters.
    const bytes = Buffer.from([0x93, 0x50, 0x72, 0x69, 0x63, 0x65, 0x94, 0x20, 0x96, 0x20, 0x35, 0x20, 0x80]);
    for (const charset of ['windows-1252', 'iso-8859-1', 'ISO-8859-1', 'us-ascii']) expect(plainText(bytes, `text/plain; charset=${charset}`).text).toBe('“Price” – 5 €');
  });

  it('lets a BOM win over a wrong header charset (as browsers do)', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('café', 'utf8')]);
    expect(plainText(bytes, 'text/plain; charset=iso-8859-1').text).toBe('café');
  });

  it('reads an HTML page in UTF-16 with a BOM', async () => {
    const html = `<html><head><title>Grüße</title></head><body><p>Grüße aus Köln</p></body></html>`;
    const page = await htmlText(utf16le(html), 'text/html', 'https://example.com/');
    expect(page.title).toBe('Grüße');
  });

  it('reads a Shift_JIS page whose meta charset comes after a long head', async () => {
    const head = `<html><head><script>${'var x = 1;\n'.repeat(300)}</script><meta charset="shift_jis"><title>t</title></head><body><p>`;
    const jp = Buffer.from([0x93, 0xfa, 0x96, 0x7b]); // 日本 in Shift_JIS
    const bytes = Buffer.concat([Buffer.from(head, 'latin1'), jp, Buffer.from('</p></body></html>', 'latin1')]);
    const page = await htmlText(bytes, 'text/html', 'https://example.com/');
    expect(page.text).toContain('日本');
  });

  it('reads an XML file in the encoding its declaration names', () => {
    const bytes = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="windows-1252"?><a>caf', 'latin1'), Buffer.from([0xe9]), Buffer.from('</a>', 'latin1')]);
    expect(plainText(bytes, 'application/xml').text).toContain('café');
  });
});

describe('page kind', () => {
  it('reads an HTML page served without a Content-Type as HTML, not raw markup', () => {
    const bytes = Buffer.from('<!DOCTYPE html><html><head><title>x</title></head><body><p>hi</p></body></html>');
    expect(pageKind('', 'https://example.com/page', bytes)).toBe('html');
  });
});

describe('links', () => {
  const body = `<p>${'Some long article text about things that matter. '.repeat(10)}</p>`;
  it('resolves relative links against <base href>', async () => {
    const html = `<html><head><base href="https://docs.example.com/v2/"><title>t</title></head><body><article><h1>Doc</h1>${body}<p>See <a href="guide/install.html">the install guide</a>. ${'More text. '.repeat(20)}</p></article></body></html>`;
    const page = await htmlText(Buffer.from(html), 'text/html; charset=utf-8', 'https://example.com/mirror/page');
    expect(page.text).toContain('(https://docs.example.com/v2/guide/install.html)');
  });

  it('makes relative image sources absolute', async () => {
    const html = `<html><head><title>t</title></head><body><article><h1>Doc</h1>${body}<p><img src="/img/chart.png" alt="Revenue chart"> ${'More text. '.repeat(20)}</p></article></body></html>`;
    const page = await htmlText(Buffer.from(html), 'text/html; charset=utf-8', 'https://example.com/a/b');
    expect(page.text).toContain('https://example.com/img/chart.png');
  });
});

const prose = `<p>${'This page lists the plans and what each one costs per month for a team. '.repeat(5)}</p>`;

describe('html main text', () => {
  it('keeps the cells of a table apart', async () => {
    const html = `<html><head><title>Pricing</title></head><body><article><h1>Pricing</h1>${prose}<table><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>10</td></tr><tr><td>Pro</td><td>25</td></tr></table></article></body></html>`;
    const { text } = await htmlText(Buffer.from(html), 'text/html; charset=utf-8', 'https://example.com/pricing');
    // A Markdown table: a row to a line, the header marked.
    expect(text).toContain('| Plan | Price |\n| --- | --- |\n| Basic | 10 |\n| Pro | 25 |');
  });
});

const release = `<p>${'The 4.2 release fixes the login loop that some users saw after upgrading from 4.1, and speeds up the dashboard by thirty percent. '.repeat(3)}</p>`;

describe('pages that leave out optional tags, and pages with no markup', () => {
  it('reads a page that leaves out its <html>, <head> and <body> tags (minified HTML5), as a browser adds them', async () => {
    const html = `<!doctype html><meta charset=utf-8><title>Release notes 4.2</title><h1>Release notes 4.2</h1>${release}`;
    const page = await htmlText(Buffer.from(html), 'text/html; charset=utf-8', 'https://example.com/notes');
    expect(page.title).toBe('Release notes 4.2');
    expect(page.text).toContain('speeds up the dashboard by thirty percent');
  });

  it('reads a page whose <body> tag is left out after its <head>', async () => {
    const html = `<!DOCTYPE html><html lang="en"><head><title>Release notes 4.2</title></head><h1>Release notes 4.2</h1>${release}</html>`;
    const page = await htmlText(Buffer.from(html), 'text/html; charset=utf-8', 'https://example.com/notes');
    expect(page.text).toContain('speeds up the dashboard by thirty percent');
  });

  it('reads JSON a PHP API serves as text/html as its text (it failed with a Readability error)', async () => {
    const page = await htmlText(Buffer.from('{"status":"ok","version":"4.2.1","queue":12}'), 'text/html; charset=UTF-8', 'https://example.com/api/status.php');
    expect(page.text).toBe('{"status":"ok","version":"4.2.1","queue":12}');
  });

  it('reads an empty text/html answer as no text (it failed with a Readability error)', async () => {
    expect(await htmlText(new Uint8Array(), 'text/html; charset=UTF-8', 'https://example.com/ping')).toEqual({ title: undefined, text: '' });
  });
});

describe('code blocks', () => {
  const intro = '<p>Functions can also be called using keyword arguments of the form kwarg=value. For instance, the following function accepts one required argument and any number of others.</p>';

  it('keeps code written as <pre> without <code> (Sphinx, Pygments) as a fenced block in its language, character for character', async () => {
    // docs.python.org's markup: Pygments' spans in a <pre>, the language two levels up.
    const code = `<div class="highlight-python3 notranslate"><div class="highlight"><pre><span></span><span class="k">def</span> <span class="nf">cheeseshop</span><span class="p">(</span><span class="n">kind</span><span class="p">,</span> <span class="o">*</span><span class="n">arguments</span><span class="p">,</span> <span class="o">**</span><span class="n">keywords</span><span class="p">):</span>
    <span class="n">max_len</span> <span class="o">=</span> <span class="nb">max</span><span class="p">(</span><span class="nb">len</span><span class="p">(</span><span class="n">kw</span><span class="p">)</span> <span class="k">for</span> <span class="n">kw</span> <span class="ow">in</span> <span class="n">keywords</span><span class="p">)</span>
</pre></div></div>`;
    const html = `<!DOCTYPE html><html><head><title>4. More Control Flow Tools</title></head><body><div class="body" role="main"><section><h2>4.9.2. Keyword Arguments</h2>${intro}${code}${intro}</section></div></body></html>`;
    const { text } = await htmlText(Buffer.from(html), 'text/html; charset=utf-8', 'https://docs.python.org/3/tutorial/controlflow.html');
    // Not `def cheeseshop(kind, \*arguments, \*\*keywords):` and `max\_len \= …` outside any fence.
    expect(text).toContain('```python3\ndef cheeseshop(kind, *arguments, **keywords):\n    max_len = max(len(kw) for kw in keywords)\n```');
  });

  it("fences GitHub's highlighted <pre> with its language, its <br> line breaks and backticks kept", async () => {
    const html = '<html><body><div class="highlight highlight-source-js"><pre>const a = 1 * 2;<br>let b_c = `x`;</pre></div></body></html>';
    const { text } = await htmlText(Buffer.from(html), 'text/html; charset=utf-8', 'https://github.com/example/repo');
    expect(text).toBe('```js\nconst a = 1 * 2;\nlet b_c = `x`;\n```');
  });

  it('fences a code block that holds a fence with a longer one', async () => {
    const html = '<html><body><pre><code class="language-md">```sh\nnpm test\n```</code></pre></body></html>';
    const { text } = await htmlText(Buffer.from(html), 'text/html; charset=utf-8', 'https://example.com/readme');
    expect(text).toBe('````md\n```sh\nnpm test\n```\n````');
  });
});
