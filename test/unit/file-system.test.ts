import { describe, expect, it } from 'vitest';
import { NFS_SUPER_MAGIC, networkFileSystem } from '../../src/store/file-system.js';
import { tempDir } from '../helpers/cairn.js';

describe('networkFileSystem', () => {
  it('names NFS, SMB given as a negative 32-bit number, and FUSE; a local disk is none', () => {
    expect(networkFileSystem('/data', () => ({ type: NFS_SUPER_MAGIC }))).toBe('NFS');
    expect(networkFileSystem('/data', () => ({ type: 0xff534d42 | 0 }))).toBe('SMB (CIFS)');
    expect(networkFileSystem('/data', () => ({ type: 0x65735546 }))).toMatch(/^FUSE/);
    expect(networkFileSystem('/data', () => ({ type: 0xef53 }))).toBeUndefined();
  });

  it('says nothing where statfs cannot answer (a folder not made yet), and reads the real one here', () => {
    expect(
      networkFileSystem('/nowhere', () => {
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      }),
    ).toBeUndefined();
    expect(() => networkFileSystem(tempDir())).not.toThrow();
  });
});
