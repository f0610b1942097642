/** The tool calls of one model reply, as they run and as the history records them. */
import { describe, expect, it } from 'vitest';
import { prepareStepCalls } from '../../src/core/step-calls.js';

const ids = () => {
  let n = 0;
  return () => `new_${++n}`;
};

describe('the calls of one reply', () => {
  it('runs identical calls (same name and arguments, however spaced) once', () => {
    const { calls, repeats } = prepareStepCalls(
      [
        { id: 'a', name: 'fetch_status', arguments: '{"url": "https://x"}' },
        { id: 'b', name: 'fetch_status', arguments: '{"url":"https://x"}' },
        { id: 'c', name: 'fetch_status', arguments: '{"url":"https://y"}' },
      ],
      ids(),
    );
    expect(calls.map((call) => call.run.id)).toEqual(['a', 'c']);
    expect(repeats).toBe(1);
  });

  it('gives a repeated or missing id a new one, for running and recording alike', () => {
    const { calls } = prepareStepCalls(
      [
        { id: 'call_0', name: 'lookup', arguments: '{"key":"alpha"}' },
        { id: 'call_0', name: 'lookup', arguments: '{"key":"beta"}' },
        { id: '', name: 'lookup', arguments: '{"key":"gamma"}' },
      ],
      ids(),
    );
    expect(calls.map((call) => [call.run.id, call.recorded.id])).toEqual([
      ['call_0', 'call_0'],
      ['new_1', 'new_1'],
      ['new_2', 'new_2'],
    ]);
  });

  it('runs broken arguments as written (the tool says what is wrong) and records them as JSON', () => {
    const [call] = prepareStepCalls([{ id: 'a', name: 'current_time', arguments: '{"timeZone": "UTC"' }], ids()).calls;
    expect(call?.run.arguments).toBe('{"timeZone": "UTC"');
    expect(JSON.parse(call?.recorded.arguments ?? '')).toEqual({ unparsed_arguments: '{"timeZone": "UTC"' });
  });
});
