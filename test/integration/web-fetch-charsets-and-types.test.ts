/**
 * Pages in the encodings and types sites serve without saying: a Latin-1 or Shift_JIS page that names no
 * charset (Apache sends text/plain without one) is read in the encoding its bytes are in, as browsers
 * guess, not as UTF-8 full of U+FFFD; a text file under an application/ type Apache and Debian's
 * mime.types give (application/x-sh for install scripts, application/sql) is read as text, a binary one
 * still refused; a page of exactly the size limit is whole; a redirect to a broken address says so.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromTheSite, webFetchTool } from '../../src/tools/web-tools.js';
import { documentPool } from '../../src/core/documents/pool.js';
import type { ToolContext } from '../../src/tools/registry.js';
import { makePdf } from '../helpers/pdf.js';

const MB = 1024 * 1024;
const PDF = makePdf([['Invoice total: 420 EUR']]);
const SCRIPT = '#!/bin/sh\nset -e\ncurl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin\n';

let site: Server;
let base: string;
const context = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 } satisfies ToolContext;

beforeAll(async () => {
  site = createServer((request, response) => {
    const send = (headers: Record<string, string>, body: string | Buffer, status = 200) => response.writeHead(status, headers).end(body);
    switch (request.url) {
      case '/menu.html':
        return send({ 'content-type': 'text/html' }, iconv.encode('<html><head><title>Menu</title></head><body><p>Café crème, 3 € — “maison”</p></body></html>', 'windows-1252'));
      case '/readme.txt':
        return send({ 'content-type': 'text/plain' }, iconv.encode('Café crème à la française.\nÉté 2024.\n', 'windows-1252'));
      case '/notice.txt':
        return send({ 'content-type': 'text/plain' }, iconv.encode('本日のお知らせ：システムは午後十時から停止します。', 'shift_jis'));
      case '/cut.txt':
        // UTF-8 cut at the size limit in the middle of its last character: still UTF-8, not another encoding.
        return send({ 'content-type': 'text/plain' }, Buffer.concat([Buffer.from(`${'a'.repeat(MB - 1)}`), Buffer.from('é!', 'utf8')]));
      case '/install.sh':
        return send({ 'content-type': 'application/x-sh' }, SCRIPT);
      case '/schema.sql':
        return send({ 'content-type': 'application/sql' }, 'CREATE TABLE notes (id INTEGER PRIMARY KEY);');
      case '/archive.zip':
        return send({ 'content-type': 'application/zip' }, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]));
      case '/exact.txt':
        return send({ 'content-type': 'text/plain' }, 'x'.repeat(MB));
      case '/invoice.pdf':
        return send({ 'content-type': 'application/pdf' }, PDF);
      case '/moved':
        return send({ location: 'http://exa mple.com/page' }, '', 302);
      default:
        return send({}, '', 404);
    }
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => site.close(resolve));
});

const tool = (maxBytes = MB) => webFetchTool({ allowPrivateHosts: true, timeoutMs: 10_000, maxBytes }, documentPool);

describe('web_fetch', () => {
  it('reads a page that names no charset in the legacy encoding its bytes are in, not as UTF-8 with U+FFFD', async () => {
    expect(await tool().execute({ url: `${base}/menu.html` }, context)).toContain('Café crème, 3 € — “maison”');
    expect(await tool().execute({ url: `${base}/readme.txt` }, context)).toBe(`${base}/readme.txt\n${fromTheSite('Café crème à la française.\nÉté 2024.')}`);
    expect(await tool().execute({ url: `${base}/notice.txt` }, context)).toContain('本日のお知らせ：システムは午後十時から停止します。');
    const cut = (await tool().execute({ url: `${base}/cut.txt` }, context)) as string;
    expect(cut).toContain('only its first 1 MB were downloaded');
    expect(cut).not.toContain('Ã');
  });

  it('reads a text file served under an application/ type that is not a text one by name (a shell script, SQL), and still refuses a binary one', async () => {
    expect(await tool().execute({ url: `${base}/install.sh` }, context)).toBe(`${base}/install.sh\n${fromTheSite(SCRIPT.trim())}`);
    expect(await tool().execute({ url: `${base}/schema.sql` }, context)).toContain('CREATE TABLE notes (id INTEGER PRIMARY KEY);');
    await expect(tool().execute({ url: `${base}/archive.zip` }, context)).rejects.toThrow(`${base}/archive.zip is application/zip, which web_fetch does not read.`);
  });

  it('takes a page of exactly the size limit as whole: a text not marked cut, a PDF read', async () => {
    const text = (await tool().execute({ url: `${base}/exact.txt` }, context)) as string;
    expect(text).not.toContain('were downloaded');
    expect(await tool(PDF.byteLength).execute({ url: `${base}/invoice.pdf` }, context)).toContain('Invoice total: 420 EUR');
  });

  it('says a redirect leads to something that is not a web address, not a bare "Invalid URL" the model takes for its own', async () => {
    await expect(tool().execute({ url: `${base}/moved` }, context)).rejects.toThrow(`${base}/moved redirects to http://exa mple.com/page, which is not a web address.`);
  });
});
