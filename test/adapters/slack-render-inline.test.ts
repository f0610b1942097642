/** Slack mrkdwn: link labels (code, emphasis) and headings that end in a #, as models write them. */
import { describe, expect, it } from 'vitest';
import { renderMessages, toMrkdwn } from '../../adapters/slack/render.js';

/** The characters the renderer parks markers behind: none may reach the user. */
const PRIVATE_USE = /[\uE000-\uF8FF]/;

describe('Slack rendering of link labels', () => {
  it('shows the code of a code-labelled link instead of a placeholder', () => {
    expect(toMrkdwn('See [`fetch`](https://developer.mozilla.org/docs/Web/API/fetch) for details.')).toBe('See <https://developer.mozilla.org/docs/Web/API/fetch|`fetch`> for details.');
  });

  it('shows the code in the section block a reply is sent as', () => {
    const [message] = renderMessages('Use [`npm ci`](https://docs.npmjs.com/cli/ci) in CI.');
    const text = message?.blocks[0]?.text.text ?? '';
    expect(text).not.toMatch(PRIVATE_USE);
    expect(text).toBe('Use <https://docs.npmjs.com/cli/ci|`npm ci`> in CI.');
  });

  it('renders a label’s emphasis as mrkdwn instead of showing the asterisks', () => {
    expect(toMrkdwn('[**Release notes**](https://example.com/notes)')).toBe('<https://example.com/notes|*Release notes*>');
    expect(toMrkdwn('see [~~old~~ *new*](https://e.com)')).toBe('see <https://e.com|~old~ _new_>');
  });

  it('keeps code, emphasis and a | in one label, and code beside the link, each where it was', () => {
    expect(toMrkdwn('[**`zod.object()`** then `a|b`](https://zod.dev) or `z<1>`')).toBe('<https://zod.dev|*`zod.object()`* then `a/b`> or `z&lt;1&gt;`');
  });
});

describe('Slack rendering of headings', () => {
  it('keeps a # that ends a word of the heading (C#, F#)', () => {
    expect(toMrkdwn('## What is new in C#')).toBe('*What is new in C#*');
    expect(toMrkdwn('### F# tips')).toBe('*F# tips*');
  });

  it('still drops a closing run of #s that stands apart', () => {
    expect(toMrkdwn('## Title ##')).toBe('*Title*');
    expect(toMrkdwn('### F# tips #')).toBe('*F# tips*');
  });
});

/**
 * A bare URL in the model's answer (Slack links it by itself) keeps its characters: the
 * emphasis rewrite would make `__init__` in a path `*init*`, and the link lead nowhere.
 * Markdown (GFM autolinks) leaves a URL's characters alone and trims trailing punctuation.
 */
describe('Slack rendering of bare URLs', () => {
  it('keeps a bare URL with __ in its path intact (Python packages: __init__.py)', () => {
    const url = 'https://github.com/psf/requests/blob/main/src/requests/__init__.py';
    expect(toMrkdwn(`The version is set in ${url} near the top.`)).toBe(`The version is set in ${url} near the top.`);
  });

  it('sends the bare URL intact in the section block the user clicks, a __ at its end too', () => {
    const url = 'https://docs.python.org/3/reference/datamodel.html#object.__init__';
    const [message] = renderMessages(`See ${url} for the details.`);
    expect(message?.blocks.map((block) => block.text.text).join('\n')).toBe(`See ${url} for the details.`);
  });

  it('leaves punctuation after a URL and emphasis around it as they were, escaping what Slack needs escaped', () => {
    expect(toMrkdwn('Read https://en.wikipedia.org/wiki/Mercury_(planet).')).toBe('Read https://en.wikipedia.org/wiki/Mercury_(planet).');
    expect(toMrkdwn('(see https://example.com/a**b**c), then __done__')).toBe('(see https://example.com/a**b**c), then *done*');
    expect(toMrkdwn('**https://example.com/x_y_z** and _https://example.com/q_')).toBe('*https://example.com/x_y_z* and _https://example.com/q_');
    expect(toMrkdwn('https://example.com/?a=1&b=2')).toBe('https://example.com/?a=1&amp;b=2');
  });
});
