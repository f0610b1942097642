/** `cairn pairing approve` with the code of a user revoked since: the operator is not told they are in. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

let model: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;

beforeEach(async () => {
  model = await startFakeModelServer();
  cairn = startTestCairn(testConfig(model.url, { TELEGRAM_ALLOWED_USERS: '100' }, tempDir()));
  telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await model.close();
});

const dm = (senderId: string, text: string) => telegram.message(text, { senderId, userId: `telegram:${senderId}`, conversationId: `telegram:dm:${senderId}` });
const codeIn = (text: string | undefined) => /pairing code is ([A-Z0-9]{8})/.exec(text ?? '')?.[1] ?? '';

describe('approving the code of a revoked user', () => {
  it('says they were revoked and how to let them in again, not "already approved"', async () => {
    await cairn.gateway.receive(dm('777', 'let me in'));
    const code = codeIn(telegram.texts()[0]);
    cairn.access.pairing.approve(code, 'test', cairn.manualClock.now());
    expect(cairn.access.pairing.revoke('telegram', '777')).toBe(true);
    expect(() => cairn.access.pairing.approve(code, 'test', cairn.manualClock.now())).toThrow(
      `The code ${code} was approved, but telegram user 777 was revoked since. To let them in again, approve their new code: they get one by messaging the bot (\`cairn pairing list\` shows it).`,
    );
    expect(cairn.access.pairing.isApproved('telegram', '777')).toBe(false);
    // As it says: the user writes again, and their new code lets them in.
    expect(await cairn.gateway.receive(dm('777', 'hello?'))).toBe('pairing');
    const fresh = codeIn(telegram.texts().at(-1));
    expect(fresh).not.toBe(code);
    cairn.access.pairing.approve(fresh, 'test', cairn.manualClock.now());
    expect(await cairn.gateway.receive(dm('777', 'thanks'))).toBe('turn');
  });

  it('still says "already approved" while the user is in', async () => {
    await cairn.gateway.receive(dm('778', 'let me in'));
    const code = codeIn(telegram.texts()[0]);
    cairn.access.pairing.approve(code, 'test', cairn.manualClock.now());
    expect(() => cairn.access.pairing.approve(code, 'test', cairn.manualClock.now())).toThrow(`The code ${code} was already approved.`);
  });
});
