import type { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ControlListener } from './control-listener';

/** The `connected` handler the listener gives its loop, run as a new connection would. */
function connectAll(listener: ControlListener): Promise<() => void> {
  return (listener as unknown as { connectAll(client: Client): Promise<() => void> }).connectAll(
    {} as Client,
  );
}

describe('ControlListener', () => {
  const listener = () => new ControlListener(new DataSource({ type: 'postgres' }));

  it('runs every subscriber on connection, and their clean-ups together', async () => {
    const control = listener();
    const cleaned: string[] = [];
    control.subscribe('a', {
      notification: () => {},
      connected: () => Promise.resolve(() => void cleaned.push('a')),
    });
    control.subscribe('b', {
      notification: () => {},
      connected: () => Promise.resolve(() => void cleaned.push('b')),
    });

    (await connectAll(control))();

    expect(cleaned).toEqual(['a', 'b']);
  });

  it('cleans up the others and throws when one subscriber fails, so the connection starts again', async () => {
    const control = listener();
    const cleaned: string[] = [];
    control.subscribe('a', {
      notification: () => {},
      connected: () => Promise.resolve(() => void cleaned.push('a')),
    });
    control.subscribe('b', {
      notification: () => {},
      connected: () => Promise.reject(new Error('catch-up failed')),
    });

    await expect(connectAll(control)).rejects.toThrow('catch-up failed');
    expect(cleaned).toEqual(['a']);
  });

  it('refuses a second subscriber to one channel', () => {
    const control = listener();
    const handlers = { notification: () => {}, connected: () => Promise.resolve() };
    control.subscribe('a', handlers);

    expect(() => control.subscribe('a', handlers)).toThrow('a has a subscriber already');
  });
});
