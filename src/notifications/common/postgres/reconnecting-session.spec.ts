import { getEventListeners } from 'node:events';
import { untilAborted } from './reconnecting-session';

describe('untilAborted', () => {
  it('settles as the work does, and leaves no listener on the signal', async () => {
    const connection = new AbortController();
    for (let i = 0; i < 20; i += 1) {
      await expect(untilAborted(Promise.resolve(i), connection.signal)).resolves.toBe(i);
    }
    await expect(
      untilAborted(Promise.reject(new Error('refused')), connection.signal),
    ).rejects.toThrow('refused');
    expect(getEventListeners(connection.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the reason once the signal aborts, whatever the work does later', async () => {
    const connection = new AbortController();
    const never = new Promise<number>(() => undefined);
    const waiting = untilAborted(never, connection.signal);
    connection.abort(new Error('connection lost'));
    await expect(waiting).rejects.toThrow('connection lost');
    await expect(
      untilAborted(Promise.reject(new Error('late')), connection.signal),
    ).rejects.toThrow('connection lost');
  });
});
