import { PassThrough } from 'node:stream';
import { createServiceLogger, currentRequestId, terminalDestination } from './service-logger';

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

describe('terminalDestination', () => {
  /** A stream that says it is a terminal, and what was written to it. */
  function terminal(): { stream: PassThrough & { isTTY: true }; text(): string } {
    const stream = Object.assign(new PassThrough(), { isTTY: true as const });
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return { stream, text: () => text };
  }

  it('writes readable lines to a terminal, with their level and request id', () => {
    const out = terminal();
    const logger = createServiceLogger('info', terminalDestination(out.stream));

    currentRequestId.run('req-1', () => logger.warn('held poll answered'));
    logger.info(
      {
        req: { id: 'req-2', method: 'GET', url: '/v1/events', ip: '127.0.0.1' },
        res: { statusCode: 200 },
        responseTime: 4,
        secret: 'whsec_x',
      },
      'request completed',
    );

    const lines = out.text().split('\n');
    expect(lines[0]).toMatch(/WARN.*held poll answered \(req-1\)/);
    expect(lines[1]).toMatch(/INFO.*request completed GET \/v1\/events 200 4 ms \(req-2\)/);
    expect(() => JSON.parse(lines[0])).toThrow();
    expect(out.text()).not.toContain('whsec_x');
  });

  it("leaves a stdout that is not a terminal to pino's JSON lines", () => {
    expect(terminalDestination(new PassThrough())).toBeUndefined();
  });
});
