/** `export` with two spaces or a tab before the name, as shell files allow: the setting was read under a name nobody asks for. */
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/config/dotenv.js';

describe('export before a name in .env', () => {
  it('reads the setting whatever spaces or tabs follow export', () => {
    expect(parseDotenv('export A=1\nexport  B=2\nexport\tC=3\n  export   D="four"\nexport=5\n')).toEqual({ A: '1', B: '2', C: '3', D: 'four', export: '5' });
  });
});
