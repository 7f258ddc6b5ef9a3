import { Agent, request } from 'undici';
import { v7 as uuidv7 } from 'uuid';
import { type ReceiverWindow, measureReceiverWindow } from './measure-receiver-window';
import { signedWebhookRequest } from './signed-webhook-request';
import type { WebhookReceiver } from './spawn-webhook-receiver';
import { startLoops } from './start-loops';

/** How baseline (a) runs. */
export interface UndiciCeilingOptions {
  receiver: WebhookReceiver;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  payload: Record<string, unknown>;
  secret: string;
}

/**
 * Baseline (a), the HTTP ceiling: `concurrency` loops POSTing the same event, signed afresh for
 * each request as every attempt is, with undici on keep-alive connections; no database at all.
 */
export async function measureUndiciCeiling(options: UndiciCeilingOptions): Promise<ReceiverWindow> {
  const agent = new Agent({ connections: options.concurrency });
  const event = {
    eventId: uuidv7(),
    topic: 'bench.created',
    createdAt: new Date(),
    payloadJson: JSON.stringify(options.payload),
    secret: options.secret,
  };
  try {
    const load = startLoops(options.concurrency, async () => {
      const { body, headers } = signedWebhookRequest(event);
      const response = await request(options.receiver.url, {
        method: 'POST',
        headers,
        body,
        dispatcher: agent,
      });
      await response.body.dump();
      if (response.statusCode >= 300) throw new Error(`receiver answered ${response.statusCode}`);
    });
    try {
      return await measureReceiverWindow(
        options.receiver,
        load,
        options.warmupMs,
        options.durationMs,
      );
    } finally {
      await load.stop();
    }
  } finally {
    await agent.close();
  }
}
