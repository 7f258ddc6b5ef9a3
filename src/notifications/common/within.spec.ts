import { within } from './within';

describe('within', () => {
  it('settles as the work does when it is first', async () => {
    await expect(within(Promise.resolve(7), 1000, 'late')).resolves.toBe(7);
    await expect(within(Promise.reject(new Error('own')), 1000, 'late')).rejects.toThrow('own');
  });

  it('rejects with the message once the time has passed', async () => {
    const never = new Promise<number>(() => undefined);
    await expect(within(never, 5, 'no answer within 5 ms')).rejects.toThrow(
      'no answer within 5 ms',
    );
  });
});
