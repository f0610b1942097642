/**
 * A reply whose emphasis markers cross (`***Note:** read this*`, which models write) was
 * rendered as tags that do not nest (`<b><i>Note:</b> read this</i>`); Telegram refuses those
 * ("can't parse entities"), and the whole reply went out as plain text: every code span, link
 * and bold of it lost. Now only the line (or link label) whose markers cross keeps them as
 * written. The fake Bot API refuses such HTML as Telegram's parser does.
 */
import { describe, expect, it } from 'vitest';
import { useTelegramRig } from '../helpers/telegram-rig.js';
import { renderParts } from '../../adapters/telegram/render.js';

const telegram = useTelegramRig();

describe('Telegram reply whose emphasis markers cross', () => {
  it('keeps the formatting of the rest of the reply; only the crossed line shows its markers', async () => {
    const { fake, adapter } = await telegram.start();
    await adapter.send('telegram:42', { text: '***Note:** read this first*\nThen run `make` and **keep** the [log](https://example.com/a_b).' });
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]).toMatchObject({
      parse_mode: 'HTML',
      text: '***Note:** read this first*\nThen run <code>make</code> and <b>keep</b> the <a href="https://example.com/a_b">log</a>.',
    });
  });

  it('renders tags that always nest', () => {
    for (const text of ['***a** b*', '**a *b** c*', '*a **b* c**', '__a _b__ c_', '**a ~~b** c~~', '[**x _y** z_](https://e.com) and **ok**']) {
      const [part] = renderParts(text);
      const open: string[] = [];
      for (const [, closing, name = ''] of (part?.html ?? '').matchAll(/<(\/?)(\w+)[^>]*>/g)) {
        if (!closing) open.push(name);
        else expect(open.pop(), `${text} → ${part?.html}`).toBe(name);
      }
      expect(open).toEqual([]);
    }
  });
});
