/** The .env that `cairn setup` writes: changed lines in place, others kept, values Cairn reads back as given. */
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { applyEnvChanges } from '../../src/cli/env-file.js';

describe('.env changes', () => {
  it('replaces lines in place, removes contradicting ones, appends new ones, and keeps the rest', () => {
    const before = '# mine\nexport CAIRN_MODEL=old\n\nCAIRN_BASE_URL=http://x/v1\nOTHER=kept # note\n';
    const after = applyEnvChanges(before, { set: { CAIRN_MODEL: 'gpt-4.1-mini', OPENAI_API_KEY: 'sk-1' }, remove: ['CAIRN_BASE_URL'] });
    expect(after).toBe('# mine\nCAIRN_MODEL=gpt-4.1-mini\n\nOTHER=kept # note\n\n# Written by cairn setup\nOPENAI_API_KEY=sk-1\n');
    expect(applyEnvChanges('', { set: { A: '1' } })).toBe('# Written by cairn setup\nA=1\n');
  });

  it('replaces every copy of a key set twice (the last is what is read): the new value, once, where the first was', () => {
    const before = 'CAIRN_MODEL=old\nOTHER=1\nCAIRN_MODEL=older-by-hand\n';
    const after = applyEnvChanges(before, { set: { CAIRN_MODEL: 'new-model' } });
    expect(after).toBe('CAIRN_MODEL=new-model\nOTHER=1\n');
    expect(parseEnv(after).CAIRN_MODEL).toBe('new-model');
  });

  it('replaces the first line of a file saved with a byte-order mark, and writes the mark no more', () => {
    const after = applyEnvChanges('\uFEFFOPENAI_API_KEY=sk-old\nCAIRN_MODEL=gpt-4o\n', { set: { OPENAI_API_KEY: 'sk-new' } });
    expect(after).toBe('OPENAI_API_KEY=sk-new\nCAIRN_MODEL=gpt-4o\n');
  });

  it('quotes what a bare value cannot hold, and refuses what no quoting keeps', () => {
    const text = applyEnvChanges('', { set: { URL: 'http://h:1/v1?a=b&c=%20', NAME: 'has space # and "quotes"' } });
    expect(parseEnv(text)).toEqual({ URL: 'http://h:1/v1?a=b&c=%20', NAME: 'has space # and "quotes"' });
    expect(() => applyEnvChanges('', { set: { BAD: "it's\nthere" } })).toThrow(/set that one by hand/);
  });

  it('keeps a value quoted over several lines whole, and replaces one whole (a line inside it is not a setting)', () => {
    const key = '"-----BEGIN KEY-----\nCAIRN_MODEL=inside-the-key\n-----END KEY-----"';
    const before = `SSH_KEY=${key}\nCAIRN_MODEL=old\nNOTE='two\nlines'\n`;
    const after = applyEnvChanges(before, { set: { CAIRN_MODEL: 'new-model' } });
    expect(after).toBe(`SSH_KEY=${key}\nCAIRN_MODEL=new-model\nNOTE='two\nlines'\n`);
    expect(parseEnv(after)).toEqual({ SSH_KEY: '-----BEGIN KEY-----\nCAIRN_MODEL=inside-the-key\n-----END KEY-----', CAIRN_MODEL: 'new-model', NOTE: 'two\nlines' });
    const replaced = applyEnvChanges('OPENAI_API_KEY="sk-\nbroken"\nA=1\n', { set: { OPENAI_API_KEY: 'sk-new' } });
    expect(replaced).toBe('OPENAI_API_KEY=sk-new\nA=1\n');
  });
});
