import { describe, expect, it } from 'vitest';
import { sendFileTool } from '../../src/tools/send-file.js';
import type { EnvironmentRegistry } from '../../src/backends/environments.js';
import type { OutboundFile } from '../../src/core/message.js';
import type { ToolContext } from '../../src/tools/registry.js';

/** An environment registry that only ever reads this one file. */
const environments = {
  use: async (_session: string, _conversation: string, run: (environment: { readFile: (path: string, options: { maxBytes: number }) => Promise<Uint8Array> }) => Promise<Uint8Array>) =>
    run({ readFile: async (path, { maxBytes }) => (path === 'big.bin' ? new Uint8Array(Math.min(maxBytes + 1, 64)) : Buffer.from(`contents of ${path}`)) }),
} as unknown as EnvironmentRegistry;

function context(isAdmin: boolean, sent: { file: OutboundFile; caption: string }[], maxBytes = 1_000): ToolContext {
  return {
    sessionId: 's',
    conversationId: 'telegram:1',
    userId: 'telegram:1',
    platform: 'telegram',
    isAdmin,
    signal: new AbortController().signal,
    now: () => 0,
    sendFile: { maxBytes, send: async (file, caption) => void sent.push({ file, caption }) },
  };
}

describe('send_file', () => {
  const tool = sendFileTool({ environments, adminOnly: true, maxFileBytes: 10_000 });

  it('sends a file from the environment under its own name, or content under the name given', async () => {
    const sent: { file: OutboundFile; caption: string }[] = [];
    expect(await tool.execute({ path: 'reports/q3.csv', caption: 'Q3' }, context(true, sent))).toBe('Sent q3.csv (26 bytes) into the conversation.');
    expect(await tool.execute({ content: 'x', name: '../../etc/passwd\u0007' }, context(false, sent))).toBe('Sent passwd (1 byte) into the conversation.');
    expect(sent.map(({ file, caption }) => [file.name, Buffer.from(file.bytes).toString(), caption])).toEqual([
      ['q3.csv', 'contents of reports/q3.csv', 'Q3'],
      ['passwd', 'x', ''],
    ]);
  });

  it('takes out of a name the marks that turn text around, so invoice\u202Efdp.exe does not pass for a PDF', async () => {
    const sent: { file: OutboundFile; caption: string }[] = [];
    expect(await tool.execute({ content: 'x', name: 'invoice\u202Efdp.exe' }, context(false, sent))).toBe('Sent invoicefdp.exe (1 byte) into the conversation.');
    expect(await tool.execute({ content: 'x', name: '\u2067report\u2069.csv' }, context(false, sent))).toBe('Sent report.csv (1 byte) into the conversation.');
  });

  it('says what to do instead when the arguments, the platform or the size do not allow it', async () => {
    const sent: { file: OutboundFile; caption: string }[] = [];
    await expect(tool.execute({ path: 'a.txt', content: 'a' }, context(true, sent))).rejects.toThrow('Give either path (a file in the environment) or content (with name), not both.');
    await expect(tool.execute({}, context(true, sent))).rejects.toThrow('Give either path (a file in the environment) or content (with name), one of them.');
    await expect(tool.execute({}, context(true, sent))).rejects.toThrow('Give either path');
    await expect(tool.execute({ content: 'a' }, context(true, sent))).rejects.toThrow('Give the file a name with its extension (name), e.g. report.csv.');
    await expect(tool.execute({ path: 'a.txt' }, context(false, sent))).rejects.toThrow('Only admins may have files sent from the environment here; send the content instead.');
    await expect(tool.execute({ content: 'x'.repeat(2_000), name: 'big.txt' }, context(true, sent))).rejects.toThrow('big.txt is 2.0 KB; telegram takes files up to 1000 bytes.');
    await expect(tool.execute({ path: 'big.bin' }, context(true, sent, 10))).rejects.toThrow('big.bin is 11 bytes; telegram takes files up to 10 bytes.');
    const { sendFile: _none, ...nowhere } = context(true, sent);
    await expect(tool.execute({ content: 'a', name: 'a.txt' }, nowhere)).rejects.toThrow('Files cannot be sent here');
    expect(sent).toEqual([]);
  });
});
