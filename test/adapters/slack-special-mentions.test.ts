/**
 * Slack's markup for user-group mentions (`<!subteam^ID|@handle>`) and formatted dates
 * (`<!date^unix^{tokens}|fallback>`) reached the model raw, carets and tokens included. The
 * model reads them as a person would: the group's handle, the date's fallback text.
 */
import { afterEach, expect, it } from 'vitest';
import { postEvent, setup, until, userTexts, type Setup } from './slack-lifecycle-harness.js';
import { slackToPlain } from '../../adapters/slack/normalize.js';

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

it('shows a user-group mention by its handle, or by its id when Slack sends none', () => {
  expect(slackToPlain('ask <!subteam^S0614TZR7|@design-team> or <!subteam^S0615G0KT>')).toBe('ask @design-team or @S0615G0KT');
  // An old client's label without the @.
  expect(slackToPlain('<!subteam^S1|ops>')).toBe('@ops');
});

it("shows a date by its fallback text, or by the date itself when there is none", () => {
  expect(slackToPlain('due <!date^1392734382^{date_pretty} at {time}|February 18th, 2014 at 6:39 AM PST>.')).toBe('due February 18th, 2014 at 6:39 AM PST.');
  expect(slackToPlain('see <!date^1392734382^{date_short}^https://example.com/x|Feb 18, 2014>')).toBe('see Feb 18, 2014');
  expect(slackToPlain('at <!date^1392734382^{date}>')).toBe('at 2014-02-18T14:39:42.000Z');
  // Out of Date's range: the number, not a RangeError that loses the message.
  expect(slackToPlain('at <!date^99999999999999999999^{date}>')).toBe('at 99999999999999999999');
});

it('leaves @here and a bare <!…> it does not know readable as before', () => {
  expect(slackToPlain('<!here> and <!channel|channel> <!everyone>')).toBe('@here and @channel @everyone');
});

it('gives the model readable group mentions and dates from a real Slack message', async () => {
  s = await setup();
  s.model.enqueue({ text: 'Noted.' });
  await postEvent(s, { type: 'message', channel: 'D1', channel_type: 'im', user: 'U1', text: 'tell <!subteam^S0614TZR7|@design-team> the review is <!date^1392734382^{date_pretty}|February 18th, 2014>', ts: '1600000001.000001' }, 'Ev1');
  await until(() => s!.model.chatRequests().length >= 1, 'the model call');
  expect(userTexts(s, 0).at(-1)).toBe('tell @design-team the review is February 18th, 2014');
});
