/**
 * The idle sweep (every minute under `cairn start`) judges idleness by the session's last
 * message; a turn whose one step outlasts the idle timeout (a long command, an approval, a slow
 * model) appends nothing meanwhile. Its session must not be ended under it: it would be
 * condensed without the turn's answer, and the next message would start afresh.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
beforeEach(() => {
  cairn = rig.start({ CAIRN_AUX_MODEL: 'aux-model' });
});

const PAST_IDLE_TIMEOUT_MS = 31 * 60_000; // the default timeout is 30 minutes

describe('the idle sweep and a turn in flight', () => {
  it('leaves the session of a running turn alone, and ends it once it is idle after the answer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    rig.server.enqueue({ after: gate, then: { text: 'The build finished: 3 tests failed in billing.' } });
    const turn = cairn.gateway.receive(cairn.adapter.message('run the full build and tell me what fails'));
    while (rig.server.chatRequests().length < 1) await new Promise((resolve) => setImmediate(resolve));
    const session = cairn.sessions.store.active('test:dm:alice')!;

    cairn.manualClock.advance(PAST_IDLE_TIMEOUT_MS);
    expect(cairn.sessions.sweepIdle()).toEqual([]);
    release();
    await turn;
    expect(cairn.sessions.store.get(session.id)?.status).toBe('active');

    cairn.manualClock.advance(PAST_IDLE_TIMEOUT_MS);
    expect(cairn.sessions.sweepIdle().map((ended) => ended.id)).toEqual([session.id]);
  });
});
