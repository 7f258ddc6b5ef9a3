import { DataSource } from 'typeorm';
import { ControlListener } from './control-listener';

/** The `connected` handler the listener gives its loop, run as a new connection would. */
function connectAll(listener: ControlListener): Promise<void> {
  return (listener as unknown as { connectAll(): Promise<void> }).connectAll();
}

describe('ControlListener', () => {
  const listener = () => new ControlListener(new DataSource({ type: 'postgres' }));
  const ignore = () => {};

  it('has every subscriber catch up on each connection', async () => {
    const control = listener();
    const caughtUp: string[] = [];
    control.subscribe('a', {
      notification: ignore,
      connected: () => Promise.resolve(caughtUp.push('a')),
    });
    control.subscribe('b', {
      notification: ignore,
      connected: () => Promise.resolve(caughtUp.push('b')),
    });

    await connectAll(control);

    expect(caughtUp).toEqual(['a', 'b']);
  });

  it('lets the others catch up, then throws, when one subscriber fails, so the connection starts again', async () => {
    const control = listener();
    const caughtUp: string[] = [];
    control.subscribe('a', {
      notification: ignore,
      connected: () => Promise.reject(new Error('catch-up failed')),
    });
    control.subscribe('b', {
      notification: ignore,
      connected: () => Promise.resolve(caughtUp.push('b')),
    });

    await expect(connectAll(control)).rejects.toThrow('catch-up failed');
    expect(caughtUp).toEqual(['b']);
  });

  it('refuses a second subscriber to one channel', () => {
    const control = listener();
    const handlers = { notification: ignore, connected: () => Promise.resolve() };
    control.subscribe('a', handlers);

    expect(() => control.subscribe('a', handlers)).toThrow('a has a subscriber already');
  });
});
