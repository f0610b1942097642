/**
 * `cairn doctor` asks its endpoints at once: one after another, an endpoint that answers nothing
 * made it wait out each probe's time limit in turn (minutes with aux, embeddings, vision and search).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { testConfig } from '../helpers/cairn.js';
import { runDoctor } from '../../src/cli/doctor.js';

let model: FakeModelServer;
beforeEach(async () => {
  model = await startFakeModelServer();
});
afterEach(async () => {
  await model.close();
});

describe('cairn doctor', () => {
  it('probes the model and the aux model at once, and prints them in order', async () => {
    // The server answers only once both probes are waiting on it: asked one after another, the first would wait out its limit.
    let arrived = 0;
    let bothThere!: () => void;
    const together = new Promise<void>((resolve) => (bothThere = resolve));
    model.setDefault(() => {
      if (++arrived === 2) bothThere();
      return { after: together, then: { text: 'OK' } };
    });
    const lines: string[] = [];
    await runDoctor(testConfig(model.url, { CAIRN_AUX_MODEL: 'small-model' }), (line) => void lines.push(line));
    const probes = lines.filter((line) => /^✓ (model|aux model)/.test(line));
    expect(probes).toEqual([expect.stringMatching(/^✓ model \(.*\): test-model at/), expect.stringMatching(/^✓ aux model: small-model at/)]);
  });
});
