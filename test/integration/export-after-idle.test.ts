/**
 * `/export` a while after the last message: the conversation ended when it went idle
 * (CAIRN_SESSION_IDLE_MINUTES, the idle sweep of `cairn start`), and /export said there was
 * nothing to export, though the person's chat showed the whole conversation and no message of
 * theirs had started another. It now exports the session that ended idle, never one ended by
 * /new, /forget or /unlink.
 */
import { describe, expect, it } from 'vitest';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';

const rig = useFakeModelRig();

describe('/export after the conversation went idle', () => {
  it('exports the conversation the person just had', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off', CAIRN_SESSION_IDLE_MINUTES: '30' });
    rig.server.enqueue({ text: 'Here is the migration plan: step one, step two.' });
    await cairn.gateway.receive(cairn.adapter.message('plan the database migration'));
    cairn.manualClock.advance(31 * 60_000);
    cairn.sessions.sweepIdle();
    await cairn.gateway.receive(cairn.adapter.message('/export', { command: { name: 'export', args: '' } }));
    expect(cairn.adapter.texts().at(-1)).toContain('Here is the migration plan');
  });

  it('but not one the person ended with /new', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    rig.server.enqueue({ text: 'Here is the migration plan: step one, step two.' });
    await cairn.gateway.receive(cairn.adapter.message('plan the database migration'));
    await cairn.gateway.receive(cairn.adapter.message('/new', { command: { name: 'new', args: '' } }));
    await cairn.gateway.receive(cairn.adapter.message('/export', { command: { name: 'export', args: '' } }));
    expect(cairn.adapter.texts().at(-1)).toBe('There is nothing in this conversation to export yet.');
  });

  it('but not one the person ended with /forget', async () => {
    const cairn = rig.start({ CAIRN_REFLECTION: 'off' });
    await cairn.gateway.receive(cairn.adapter.message('my locker is 4812'));
    await cairn.gateway.receive(cairn.adapter.message('/forget all', { command: { name: 'forget', args: 'all' } }));
    await cairn.gateway.receive(cairn.adapter.message('/export', { command: { name: 'export', args: '' } }));
    expect(cairn.adapter.texts().at(-1)).toBe('There is nothing in this conversation to export yet.');
  });
});
