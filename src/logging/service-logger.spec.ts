import { createServiceLogger, currentRequestId } from './service-logger';

function capture(): { lines: Record<string, unknown>[]; write(line: string): void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) };
}

describe('createServiceLogger', () => {
  it('marks the lines written while a request is handled with its id, and no others', async () => {
    const out = capture();
    const logger = createServiceLogger('info', out);

    logger.info('before');
    await currentRequestId.run('req-1', async () => {
      await Promise.resolve();
      logger.info('during');
    });
    logger.info('after');

    expect(out.lines.map(({ msg, reqId }) => ({ msg, reqId }))).toEqual([
      { msg: 'before', reqId: undefined },
      { msg: 'during', reqId: 'req-1' },
      { msg: 'after', reqId: undefined },
    ]);
  });

  it('shows only id, method, url and address of a request, and redacts secrets', () => {
    const out = capture();
    const logger = createServiceLogger('info', out);

    logger.info(
      {
        req: {
          id: 'r',
          method: 'GET',
          url: '/v1/events',
          ip: '127.0.0.1',
          headers: { authorization: 'Bearer sk_live' },
        },
        res: { statusCode: 200, headers: { 'set-cookie': 'a' } },
        secret: 'whsec_x',
      },
      'request completed',
    );

    expect(out.lines[0]).toMatchObject({
      req: { id: 'r', method: 'GET', url: '/v1/events', remoteAddress: '127.0.0.1' },
      res: { statusCode: 200 },
      secret: '[redacted]',
    });
    expect(JSON.stringify(out.lines[0])).not.toMatch(/sk_live|whsec_x|set-cookie/);
  });
});
