/**
 * Pages laid out with tables (Hacker News, old forums, newsletters): the tables inside a layout table are read as
 * tables of their own, not squeezed into one Markdown table cell, one line for the whole list.
 */
import { describe, expect, it } from 'vitest';
import { htmlText } from '../../src/web/page-text.js';

/** Hacker News' front page as it is built: a layout table (#hnmain) holding the header table and the story table. */
const story = (rank: number, title: string, href: string, site: string) =>
  `<tr class="athing submission" id="${rank}"><td align="right" valign="top" class="title"><span class="rank">${rank}.</span></td><td valign="top" class="votelinks"><center><a id="up_${rank}" href="vote?id=${rank}&amp;how=up"><div class="votearrow" title="upvote"></div></a></center></td><td class="title"><span class="titleline"><a href="${href}">${title}</a><span class="sitebit comhead"> (<a href="from?site=${site}"><span class="sitestr">${site}</span></a>)</span></span></td></tr>` +
  `<tr><td colspan="2"></td><td class="subtext"><span class="subline"><span class="score">${100 + rank} points</span> by <a href="user?id=pg" class="hnuser">pg</a> | <a href="item?id=${rank}">${rank * 10}&nbsp;comments</a></span></td></tr><tr class="spacer" style="height:5px"></tr>`;
const HN = `<html lang="en" op="news"><head><meta name="referrer" content="origin"><title>Hacker News</title></head><body><center><table id="hnmain" border="0" cellpadding="0" cellspacing="0" width="85%" bgcolor="#f6f6ef">
<tr><td bgcolor="#ff6600"><table border="0" cellpadding="0" cellspacing="0" width="100%" style="padding:2px"><tr><td style="width:18px;padding-right:4px"><a href="https://news.ycombinator.com"><img src="y18.svg" width="18" height="18"></a></td><td style="line-height:12pt; height:10px;"><span class="pagetop"><b class="hnname"><a href="news">Hacker News</a></b><a href="newest">new</a> | <a href="front">past</a> | <a href="ask">ask</a></span></td><td style="text-align:right;padding-right:4px;"><span class="pagetop"><a href="login?goto=news">login</a></span></td></tr></table></td></tr>
<tr id="pagespace" title="" style="height:10px"></tr><tr><td><table border="0" cellpadding="0" cellspacing="0">
${story(1, 'A cairn of stones', 'https://example.org/cairns', 'example.org')}${story(2, 'Show HN: A tiny database', 'https://github.com/x/tiny', 'github.com/x')}${story(3, 'Why | pipes matter', 'https://pipes.example/why', 'pipes.example')}
</table></td></tr></table></center></body></html>`;

describe('a page laid out with tables (Hacker News, old forums)', () => {
  it('reads each story on lines of its own, not the whole list as one Markdown table cell with escaped inner rows', async () => {
    const { text } = await htmlText(Buffer.from(HN), 'text/html; charset=utf-8', 'https://news.ycombinator.com/');
    const lines = text.split('\n');
    // The inner story table is a table of its own: one row a line, the title's own | still escaped once.
    expect(lines.find((line) => line.includes('A cairn of stones'))).toBe('| 1. |  | [A cairn of stones](https://example.org/cairns) ([example.org](https://news.ycombinator.com/from?site=example.org)) |');
    expect(lines.find((line) => line.includes('pipes matter'))).toContain('[Why \\| pipes matter](https://pipes.example/why)');
    expect(lines.find((line) => line.includes('102 points'))).toBe('|  | 102 points by [pg](https://news.ycombinator.com/user?id=pg) \\| [20 comments](https://news.ycombinator.com/item?id=2) |');
    // No row of a table inside a cell of another, no separator row inside a cell.
    expect(text).not.toContain('\\| --- \\|');
    expect(text).not.toContain('\\\\|');
  });

  it("keeps the paragraphs of a one-column table that wraps a newsletter, not one line of them all", async () => {
    const page = '<html><head><title>Weekly</title></head><body><table role="none" width="600"><tr><td><h1>This week</h1><p>First item.</p><p>Second item.</p></td></tr></table><table><tr><td><p>Footer one.</p><p>Footer two.</p></td></tr></table></body></html>';
    const { text } = await htmlText(Buffer.from(page), 'text/html', 'https://example.com/');
    expect(text).toBe('# This week\n\nFirst item.\n\nSecond item.\n\nFooter one.\n\nFooter two.');
  });

  it('still writes a data table as a Markdown table', async () => {
    const page = '<html><head><title>Prices</title></head><body><table><tr><th>Plan</th><th>Price</th></tr><tr><td>Free</td><td>$0</td></tr><tr><td>Pro</td><td>$10</td></tr></table></body></html>';
    const { text } = await htmlText(Buffer.from(page), 'text/html', 'https://example.com/');
    expect(text).toBe('| Plan | Price |\n| --- | --- |\n| Free | $0 |\n| Pro | $10 |');
  });
});
