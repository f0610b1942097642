/**
 * The contract every chat platform adapter passes (STYLE.md, rule 14): the real
 * adapter, driven through the real platform library against a loopback fake of the
 * platform's API, wired to a real Cairn and the scripted model server.
 *
 * Usage, in test/adapters/<platform>.test.ts:
 *   adapterContract('telegram', () => new TelegramHarness());
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';

export type SendFailure = 'rate-limit' | 'outage' | 'markup';

export interface ContractHarness {
  /** Environment for the platform: tokens, API URLs of the fake, the test user on the allowlist. */
  env(): Promise<Record<string, string>>;
  /** Builds the real adapter (its createAdapter), attaches it to the gateway and starts it. */
  start(cairn: TestCairn): Promise<void>;
  /** A direct message from the allowed test user. Reusing `eventId` re-delivers the same event. */
  deliverDirect(text: string, options?: { eventId?: string }): Promise<void>;
  /** A message authored by the bot itself, as the platform would echo it. */
  deliverOwn(text: string): Promise<void>;
  /** What the user sees in the DM, in order, once at least `count` messages arrived. */
  replies(count: number): Promise<string[]>;
  /** The platform's next send fails this way (rate-limit: 429 asking for a 1 s wait). */
  failNextSend(kind: SendFailure): void;
  /** Waits the adapter asked for, in ms (its sleep is injected; nothing really waits). */
  sleeps(): number[];
  readonly maxMessageLength: number;
  stop(): Promise<void>;
}

export function adapterContract(platform: string, makeHarness: () => ContractHarness): void {
  describe(`${platform} adapter contract`, () => {
    let model: FakeModelServer;
    let harness: ContractHarness;
    let cairn: TestCairn;

    beforeEach(async () => {
      model = await startFakeModelServer();
      harness = makeHarness();
      cairn = startTestCairn(testConfig(model.url, await harness.env()));
      await harness.start(cairn);
    });

    afterEach(async () => {
      await harness.stop();
      await cairn.close();
      await model.close();
    });

    it('answers a direct message in the same conversation (id round trip)', async () => {
      await harness.deliverDirect('hello from the contract');
      expect(await harness.replies(1)).toEqual(['echo: hello from the contract']);
    });

    it("ignores the bot's own messages", async () => {
      await harness.deliverOwn('I said this myself');
      await harness.deliverDirect('real message');
      expect(await harness.replies(1)).toEqual(['echo: real message']);
      expect(model.chatRequests()).toHaveLength(1);
    });

    it('splits a long reply at the platform limit without breaking code blocks', async () => {
      const lines = Array.from({ length: Math.ceil((harness.maxMessageLength * 2.5) / 24) }, (_, i) => `console.log("row ${i}");`);
      model.enqueue({ text: `Here you go:\n\n\`\`\`js\n${lines.join('\n')}\n\`\`\`\nDone.` });
      await harness.deliverDirect('write a long script');
      const parts = await harness.replies(3);
      for (const part of parts) expect(part.length).toBeLessThanOrEqual(harness.maxMessageLength);
      const seen = parts.join('\n').match(/row \d+/g) ?? [];
      expect(new Set(seen).size).toBe(lines.length);
      expect(parts.at(-1)).toContain('Done.');
    });

    it('falls back to plain text when the platform rejects the markup', async () => {
      model.enqueue({ text: '**Bold** and <angle> & ampersand' });
      harness.failNextSend('markup');
      await harness.deliverDirect('format something');
      const [reply] = await harness.replies(1);
      expect(reply).toContain('Bold');
      expect(reply).toContain('<angle> & ampersand');
    });

    it('waits what a 429 asks, then delivers', async () => {
      harness.failNextSend('rate-limit');
      await harness.deliverDirect('are you there?');
      expect(await harness.replies(1)).toEqual(['echo: are you there?']);
      expect(harness.sleeps()).toContain(1000);
    });

    it('retries through a platform outage', async () => {
      harness.failNextSend('outage');
      await harness.deliverDirect('still there?');
      expect(await harness.replies(1)).toEqual(['echo: still there?']);
    });

    it('answers a duplicate delivery once', async () => {
      await harness.deliverDirect('only once', { eventId: 'dup-1' });
      await harness.deliverDirect('only once', { eventId: 'dup-1' });
      await harness.deliverDirect('next');
      expect(await harness.replies(2)).toEqual(['echo: only once', 'echo: next']);
      expect(model.chatRequests()).toHaveLength(2);
    });
  });
}
