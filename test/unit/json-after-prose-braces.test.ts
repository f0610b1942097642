import { describe, expect, it } from 'vitest';
import { extractJson } from '../../src/core/json-in-text.js';

describe('extractJson after prose with braces in it', () => {
  it('finds the object a reflection writes after naming code ({name}, ${HOME})', () => {
    const text = 'I fixed the ${HOME} expansion in the {name} template.\n{"worked": ["quoting"], "failed": []}';
    expect(extractJson(text)?.parsed).toEqual({ worked: ['quoting'], failed: [] });
  });
  it('finds an object after a brace pair that is not JSON', () => {
    expect(extractJson('Use {braces} like this: {"a": 1}')?.parsed).toEqual({ a: 1 });
  });
  it('finds the list after a bracketed remark', () => {
    expect(extractJson('Here are the notes [2 found]: [{"text": "a"}, {"text": "b"}]')?.parsed).toEqual([{ text: 'a' }, { text: 'b' }]);
  });
});
