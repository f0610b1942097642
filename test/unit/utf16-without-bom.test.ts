/**
 * UTF-16 text without a byte-order mark: it holds zero bytes, so it was refused as "a binary
 * file" (README promised UTF-16 with its mark only). Latin-script text in it is told by its
 * zero bytes; binary data with zero bytes is still refused.
 */
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../src/core/text-decoding.js';

const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();

describe('UTF-16 text without a byte-order mark (SQL Server bcp -w, Java and .NET UTF-16LE writers)', () => {
  it('is read as UTF-16, not refused as a binary file', () => {
    const csv = 'id,name,city\r\n1,José,São Paulo\r\n2,Zoë,Köln\r\n3,田中,東京\u3000都\r\n';
    expect(decodeText(Buffer.from(csv, 'utf16le'))).toEqual({ text: csv.trimEnd(), about: 'read as UTF-16LE text (it has no byte-order mark)' });
    expect(decodeText(utf16be(csv))).toEqual({ text: csv.trimEnd(), about: 'read as UTF-16BE text (it has no byte-order mark)' });
  });

  it('still refuses binary data with zero bytes in it', () => {
    // Little-endian 32-bit numbers, 16-bit samples, and an odd length.
    const ints = Buffer.alloc(400);
    for (let i = 0; i < 100; i++) ints.writeUInt32LE(i * 7 + 1, i * 4);
    expect(() => decodeText(ints)).toThrow('it is a binary file, not text');
    const samples = Buffer.alloc(400);
    for (let i = 0; i < 200; i++) samples.writeInt16LE(i % 7, i * 2);
    expect(() => decodeText(samples)).toThrow('it is a binary file, not text');
    expect(() => decodeText(Buffer.from('a\0b\0c', 'latin1'))).toThrow('it is a binary file, not text');
  });
});
