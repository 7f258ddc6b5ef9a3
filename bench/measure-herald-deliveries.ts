import type { DataSource } from 'typeorm';
import type { NotificationPublisher } from '../src/notifications';
import { type DeliveryBacklog, countDeliveryBacklog } from './count-delivery-backlog';
import { type ReceiverWindow, measureReceiverWindow } from './measure-receiver-window';
import type { WebhookReceiver } from './spawn-webhook-receiver';
import { startLoops } from './start-loops';

/** How phase (1) runs. */
export interface HeraldDeliveriesOptions {
  dataSource: DataSource;
  publisher: NotificationPublisher;
  receiver: WebhookReceiver;
  tenantId: string;
  topic: string;
  /** Publisher loops, each publishing one event per transaction. */
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  payload: Record<string, unknown>;
}

/** Phase (1)'s figures: the receiver's window, and what was left undelivered when it closed. */
export interface HeraldDeliveriesResult extends ReceiverWindow {
  backlog: DeliveryBacklog;
}

/**
 * Herald end to end: `concurrency` loops call `publish()` without a manager (each event commits in
 * a transaction of its own) as fast as they can, and the rate is what reaches the receiver: the
 * sequencer, fan-out, Bull and the dispatcher all run in this process as in production.
 */
export async function measureHeraldDeliveries(
  options: HeraldDeliveriesOptions,
): Promise<HeraldDeliveriesResult> {
  const load = startLoops(options.concurrency, async () => {
    await options.publisher.publish({
      tenantId: options.tenantId,
      topic: options.topic,
      payload: options.payload,
    });
  });
  let window: ReceiverWindow;
  try {
    window = await measureReceiverWindow(
      options.receiver,
      load,
      options.warmupMs,
      options.durationMs,
    );
  } finally {
    await load.stop();
  }
  return { ...window, backlog: await countDeliveryBacklog(options.dataSource) };
}
