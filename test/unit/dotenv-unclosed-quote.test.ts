/** A .env value whose quote is never closed (a typo) is read to the end of its line, as parseEnv does: the lines below stay settings. */
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/config/dotenv.js';

describe('a .env value whose quote is never closed', () => {
  it('does not swallow the settings below it: an indented comment or a tab there glued the next name', () => {
    const text = ['CAIRN_BOT_NAME="Rocky', 'TELEGRAM_BOT_TOKEN=123456:abc', '  # the admins', 'TELEGRAM_ADMIN_USERS=42', '\tCAIRN_MODEL=llama3.1', ''].join('\n');
    expect(parseDotenv(text)).toEqual({ CAIRN_BOT_NAME: '"Rocky', TELEGRAM_BOT_TOKEN: '123456:abc', TELEGRAM_ADMIN_USERS: '42', CAIRN_MODEL: 'llama3.1' });
  });
});
