/** The hourglass on the person's message is taken off before the adapter reports it stopped (the process exits right after). */
import { afterEach, expect, it } from 'vitest';
import { setup, until, type Setup } from './slack-lifecycle-harness.js';

const open: Setup[] = [];
afterEach(async () => {
  for (const s of open.splice(0).reverse()) await s.close();
});

it('waits for the hourglass to be taken off the last answered message before stop() resolves, so a restart does not leave it there for good', async () => {
  let removals = 0;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const s = await setup({
    env: { CAIRN_STREAM_REPLIES: 'false' },
    intercept: async (method) => {
      if (method === 'reactions.remove') {
        removals++;
        await held;
      }
      return undefined;
    },
  });
  open.push(s);
  s.model.enqueue({ text: 'Done.' });
  const { ts } = await s.events.message({ text: 'deploy it', channel: 'D1', channelType: 'im' });
  await until(() => s.outcomes.length === 1, 'the message to reach the core');
  expect(await s.outcomes[0]).toBe('turn');
  expect(s.slack.reactionsAdded).toEqual([`D1:${ts}:hourglass_flowing_sand`]);
  // The answer is out and the turn over: the removal is on its way to Slack when the shutdown comes (SIGTERM after the drain).
  await until(() => removals === 1, 'the removal to be sent');
  let leftOn: string[] | undefined;
  const stopping = s.adapter.stop().then(() => void (leftOn = [...s.slack.reactions]));
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await stopping;
  expect(leftOn).toEqual([]);
});
