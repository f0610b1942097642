/**
 * web_search against a loopback stand-in of SearXNG's JSON API and Tavily's search API.
 * Both give titles and snippets as plain text (SearXNG's own templates escape them); only
 * Brave marks its descriptions up with <strong>.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webSearchTool } from '../../src/tools/web-tools.js';
import type { ToolContext } from '../../src/tools/registry.js';

let engine: Server;
let base: string;
const context = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => 0 } satisfies ToolContext;

const RESULTS = [
  { title: 'Vec<T> in std::vec - Rust', url: 'https://doc.rust-lang.org/std/vec/struct.Vec.html', content: 'A contiguous growable array type, written as Vec<T>, short for "vector".' },
  { title: 'How to center a <div> horizontally?', url: 'https://stackoverflow.com/q/114543', content: 'Use margin: 0 auto on the <div> with a width.' },
];

beforeAll(async () => {
  engine = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ query: 'q', results: RESULTS })));
  });
  await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => engine.close(resolve));
});

describe('web_search', () => {
  it.each([
    ['searxng', { provider: 'searxng' as const, url: base }],
    ['tavily', { provider: 'tavily' as const, apiKey: 'tvly-key', url: base }],
  ])('keeps text in angle brackets (Vec<T>, <div>) of %s titles and snippets, which are plain text, not HTML', async (_name, settings) => {
    const text = (await webSearchTool({ ...settings, url: base }, 5_000).execute({ query: 'rust vec' }, context)) as string;
    expect(text).toContain('1. Vec<T> in std::vec - Rust');
    expect(text).toContain('written as Vec<T>, short for "vector".');
    expect(text).toContain('2. How to center a <div> horizontally?');
    expect(text).toContain('Use margin: 0 auto on the <div> with a width.');
  });
});
