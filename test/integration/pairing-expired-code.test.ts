/** `cairn pairing approve` with a code that expired: the operator is told of the newer code the user got by writing again, or that they are in by it, not sent to ask the user again. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestCairn } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

const rig = useFakeModelRig();
let cairn: TestCairn;
let telegram: RecordingAdapter;

beforeEach(() => {
  cairn = rig.start({ TELEGRAM_ALLOWED_USERS: '100' });
  telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
});

const dm = (senderId: string, text: string) => telegram.message(text, { senderId, userId: `telegram:${senderId}`, conversationId: `telegram:dm:${senderId}`, userName: 'Ana' });
const codeIn = (text: string | undefined) => /pairing code is ([A-Z0-9]{8})/.exec(text ?? '')?.[1] ?? '';
const approve = (code: string) => () => cairn.access.pairing.approve(code, 'test', cairn.manualClock.now());

describe('approving an expired pairing code', () => {
  it('names the newer code the user already got, instead of asking them to write again', async () => {
    await cairn.gateway.receive(dm('555', 'hello?'));
    const old = codeIn(telegram.texts()[0]);
    cairn.manualClock.advance(61 * 60_000);
    await cairn.gateway.receive(dm('555', 'hello again'));
    const fresh = codeIn(telegram.texts()[1]);
    expect(fresh).not.toBe(old);
    expect(approve(old)).toThrow(`The code ${old} expired, and telegram user 555 (Ana) has a newer one since: \`cairn pairing approve ${fresh}\` lets them in.`);
    expect(cairn.access.pairing.isApproved('telegram', '555')).toBe(false);
  });

  it('says the user is in already when their newer code was approved', async () => {
    await cairn.gateway.receive(dm('556', 'hello?'));
    const old = codeIn(telegram.texts()[0]);
    cairn.manualClock.advance(61 * 60_000);
    await cairn.gateway.receive(dm('556', 'hello again'));
    approve(codeIn(telegram.texts()[1]))();
    expect(approve(old)).toThrow(`The code ${old} expired, but telegram user 556 (Ana) was let in since with a newer code: nothing to do.`);
  });

  it('still asks for a new code when the user has none', async () => {
    await cairn.gateway.receive(dm('557', 'hello?'));
    const old = codeIn(telegram.texts()[0]);
    cairn.manualClock.advance(61 * 60_000);
    expect(approve(old)).toThrow(`The code ${old} expired; ask the user to message the bot again for a new one.`);
  });
});
