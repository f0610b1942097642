/** "next Friday" needs the day of the week: the extraction prompt names it, on the local calendar. */
import { beforeEach, describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { extractionPromptOf, memoryReplies } from './helpers.js';

const rig = useFakeModelRig();
beforeEach(() => {
  rig.server.setDefault(memoryReplies(() => ({ notes: [] })));
});

describe('the day of the week in the extraction prompt', () => {
  it('names the local weekday of an evening west of UTC (Tuesday there, Wednesday in UTC)', async () => {
    const prompt = await extractionPromptOf(rig, { CAIRN_TZ: 'America/Los_Angeles' }, [[Date.UTC(2026, 10, 25, 4, 0), 'My dentist appointment is next Friday at 9.']]);
    expect(prompt).toContain('2026-11-24 is a Tuesday');
    expect(prompt).not.toContain('Wednesday');
  });

  it('names both days of a conversation across midnight', async () => {
    const prompt = await extractionPromptOf(rig, {}, [
      [Date.UTC(2026, 10, 24, 23, 50), 'The release is on Friday.'],
      [Date.UTC(2026, 10, 25, 0, 10), 'thanks, good night'],
    ]);
    expect(prompt).toMatch(/2026-11-24 is a Tuesday.*2026-11-25 (is )?a Wednesday/);
  });
});
