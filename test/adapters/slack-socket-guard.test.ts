/** What Cairn's wrapper around @slack/socket-mode's message handler does with envelopes (adapters/slack/socket-mode.ts). */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { SocketModeReceiver } from '@slack/bolt';
import { silentLogger } from '../../src/core/logger.js';
import { guardSocketMessages } from '../../adapters/slack/socket-mode.js';

/** The two methods of the client the wrapper uses, recording what reached them. */
class FakeClient extends EventEmitter {
  readonly handled: string[] = [];
  readonly acked: string[] = [];
  async onWebSocketMessage(data: unknown): Promise<void> {
    this.handled.push((JSON.parse(String(data)) as { envelope_id: string }).envelope_id);
  }
  async send(id: string): Promise<void> {
    this.acked.push(id);
  }
}

const envelope = (id: string, payload: object) => JSON.stringify({ envelope_id: id, type: 'events_api', payload });

describe("the Socket Mode message guard", () => {
  it('leaves an event unacknowledged once the adapter stops taking messages, so Slack sends it again to the next connection', () => {
    const client = new FakeClient();
    let accepting = true;
    guardSocketMessages(client as unknown as SocketModeReceiver['client'], silentLogger, () => accepting);
    client.emit('ws_message', envelope('e1', { type: 'event_callback', event: { type: 'message', text: 'hi' } }), false);
    accepting = false;
    client.emit('ws_message', envelope('e2', { type: 'event_callback', event: { type: 'message', text: 'during the restart' } }), false);
    expect(client.handled).toEqual(['e1']);
    expect(client.acked).toEqual([]);
  });

  it("acknowledges Slack's app_rate_limited notice itself (the library throws on an envelope without an event)", () => {
    const client = new FakeClient();
    guardSocketMessages(client as unknown as SocketModeReceiver['client'], silentLogger, () => true);
    client.emit('ws_message', envelope('r1', { type: 'app_rate_limited', minute_rate_limited: 1 }), false);
    expect([client.handled, client.acked]).toEqual([[], ['r1']]);
  });
});
