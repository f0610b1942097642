/**
 * The slash commands carry the bot's name (CAIRN_BOT_NAME): `/ask` said "Ask Cairn something"
 * whatever it was, and the Apps-menu command "Ask <name>", cut at 32 UTF-16 units, could end in
 * half an emoji, which Discord refuses (and with it every command).
 */
import { describe, expect, it } from 'vitest';
import { applicationCommands, askAboutName } from '../../adapters/discord/slash-commands.js';
import { CommandRegistry } from '../../src/core/commands.js';

describe('Discord command names with the bot name', () => {
  it("describes /ask and names the message command with the bot's name", () => {
    const [ask, askAbout] = applicationCommands(new CommandRegistry(), 'Rocky') as { name: string; description?: string }[];
    expect(ask).toMatchObject({ name: 'ask', description: 'Ask Rocky something' });
    expect(askAbout).toEqual({ name: 'Ask Rocky', type: 3 });
  });

  it('cuts a long name at 32 characters between whole characters, never inside an emoji', () => {
    // 🧑‍💻 is three code points joined: the whole of it goes, not its half.
    expect(askAboutName(`${'x'.repeat(27)}🧑‍💻`)).toBe(`Ask ${'x'.repeat(27)}`);
    const name = askAboutName(`${'a'.repeat(26)}😀😀😀`);
    expect([...name]).toHaveLength(32);
    expect(name.endsWith('😀😀')).toBe(true);
    expect(name).not.toMatch(/[\uD800-\uDBFF]$/);
  });
});
