import { describe, expect, it } from 'vitest';
import { sendFileTool } from '../../src/tools/send-file.js';
import { FileTooLargeError } from '../../src/backends/file-too-large.js';
import type { EnvironmentRegistry } from '../../src/backends/environments.js';
import type { OutboundFile } from '../../src/core/message.js';
import type { ToolContext } from '../../src/tools/registry.js';

const MB = 1024 * 1024;
/** The sizes of the environment's large files; any other path holds `contents of <path>`. */
const sizes: Record<string, number> = { 'big.bin': 11, 'out/report.pdf': 15 * MB, 'out/video.mp4': 60 * MB };

/** An environment registry reading from `sizes`, refusing a file over maxBytes as the local back end does. */
const environments = {
  use: async (_session: string, _conversation: string, run: (environment: { readFile: (path: string, options: { maxBytes: number }) => Promise<Uint8Array> }) => Promise<Uint8Array>) =>
    run({
      readFile: async (path, { maxBytes }) => {
        const size = sizes[path];
        if (size === undefined) return Buffer.from(`contents of ${path}`);
        if (size > maxBytes) throw new FileTooLargeError(size, maxBytes);
        return new Uint8Array(size);
      },
    }),
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
  const tool = sendFileTool({ environments, adminOnly: true });

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
    await expect(tool.execute({ path: 'out/video.mp4' }, context(true, sent, 50 * MB))).rejects.toThrow('video.mp4 is 60.0 MB; telegram takes files up to 50.0 MB.');
    const { sendFile: _none, ...nowhere } = context(true, sent);
    await expect(tool.execute({ content: 'a', name: 'a.txt' }, nowhere)).rejects.toThrow('Files cannot be sent here');
    expect(sent).toEqual([]);
  });

  it("sends a file up to the platform's limit, past read_file's (backends.maxFileBytes, 10 MB by default): a sent file never enters the context", async () => {
    const sent: { file: OutboundFile; caption: string }[] = [];
    expect(await tool.execute({ path: 'out/report.pdf' }, context(true, sent, 50 * MB))).toBe('Sent report.pdf (15.0 MB) into the conversation.');
    expect(sent.map(({ file }) => file.bytes.length)).toEqual([15 * MB]);
  });
});
