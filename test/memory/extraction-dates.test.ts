/**
 * The extraction prompt says when the conversation took place, from its first message to its
 * last, in the configured time zone (CAIRN_TZ): the model resolves "tomorrow" against it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { conversationDates } from '../../src/memory/notes/conversation-dates.js';
import { extractionPromptOf, memoryReplies } from './helpers.js';

const rig = useFakeModelRig();
beforeEach(() => {
  rig.server.setDefault(memoryReplies(() => ({ notes: [] })));
});

describe('the dates the extraction prompt gives', () => {
  it('a conversation across midnight: from the day it began to the day it ended', async () => {
    const prompt = await extractionPromptOf(rig, {}, [
      [Date.UTC(2026, 10, 24, 23, 50), 'My flight to Lisbon is tomorrow morning, remind me to pack.'],
      [Date.UTC(2026, 10, 25, 0, 10), 'thanks, good night'],
    ]);
    expect(prompt).toContain('Conversation from 2026-11-24 23:50 to 2026-11-25 00:10 (UTC):');
  });

  it('with CAIRN_TZ=America/Los_Angeles, an evening conversation is dated by the local day', async () => {
    // 2026-11-25T04:00Z is 20:00 on 2026-11-24 in Los Angeles.
    const prompt = await extractionPromptOf(rig, { CAIRN_TZ: 'America/Los_Angeles' }, [[Date.UTC(2026, 10, 25, 4, 0), 'I have a dentist appointment tomorrow at 9.']]);
    expect(prompt).toContain('Conversation of 2026-11-24, 20:00 to 20:00 (America/Los_Angeles):');
  });

  it('names the day once when the conversation stays within it', () => {
    expect(conversationDates(Date.UTC(2026, 0, 5, 9, 0), Date.UTC(2026, 0, 5, 9, 45), 'Europe/Paris')).toBe('of 2026-01-05, 10:00 to 10:45 (Europe/Paris)');
  });
});
