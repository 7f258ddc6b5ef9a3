import type { LookupAddress, LookupOptions } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import {
  DestinationGuard,
  DestinationNotAllowedError,
  type ResolveHost,
} from './destination-guard';

/** Runs `fn` and returns the DestinationNotAllowedError it throws; fails on anything else. */
function refusalFrom(fn: () => unknown): DestinationNotAllowedError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DestinationNotAllowedError) return error;
    throw error;
  }
  throw new Error('expected a DestinationNotAllowedError, the destination was accepted');
}

/** What a `lookup` call handed back: an error, or the address(es) and family. */
interface LookupResult {
  error: NodeJS.ErrnoException | null;
  address: string | LookupAddress[];
  family?: number;
}

/** Calls the guard's lookup as net.connect would and collects what it calls back with. */
function lookupWith(
  guard: DestinationGuard,
  hostname: string,
  options: LookupOptions & { all?: boolean },
): Promise<LookupResult> {
  return new Promise((resolve) => {
    guard.lookup(hostname, options, (error, address, family) =>
      resolve({ error, address, family }),
    );
  });
}

/** A resolver that answers every name with the given addresses and sends no DNS traffic. */
function resolvingTo(...addresses: string[]): ResolveHost {
  return () =>
    Promise.resolve(
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
}

describe('DestinationGuard', () => {
  describe('WHATWG URL parsing, which checkUrl relies on', () => {
    it.each(['http://2130706433', 'http://0x7f000001', 'http://127.1', 'http://0177.0.0.1'])(
      'normalises %s to 127.0.0.1',
      (url) => {
        expect(new URL(url).hostname).toBe('127.0.0.1');
      },
    );

    it('writes an IPv4-mapped IPv6 address in hexadecimal', () => {
      expect(new URL('http://[::ffff:127.0.0.1]').hostname).toBe('[::ffff:7f00:1]');
    });
  });

  describe('checkUrl', () => {
    const guard = new DestinationGuard([]);

    it.each([
      'http://127.0.0.1',
      'http://2130706433',
      'http://0x7f000001',
      'http://127.1',
      'http://0177.0.0.1',
      'http://127.0.0.1.',
      'http://[::1]',
      'http://[::ffff:127.0.0.1]',
      'http://[::ffff:7f00:1]',
      'http://[::ffff:10.0.0.1]',
      'http://[::127.0.0.1]',
      'http://[::ffff:0:7f00:1]',
      'http://10.0.0.1',
      'http://192.168.1.1',
      'http://172.16.0.1',
      'http://169.254.169.254',
      'http://100.64.0.1',
      'http://0.0.0.0',
      'http://[::]',
      'http://224.0.0.1',
      'http://255.255.255.255',
      'http://192.0.2.1',
      'http://[64:ff9b::7f00:1]',
      'http://[64:ff9b::5db8:d822]',
      'http://[2002:7f00:1::]',
      'http://[fe80::1]',
      'http://[fc00::1]',
      'http://[fd12:3456::1]',
      'http://[ff02::1]',
      'http://[2001:db8::1]',
    ])('refuses the address in %s', (url) => {
      expect(refusalFrom(() => guard.checkUrl(url)).reason).toBe('address_not_allowed');
    });

    it.each([
      ['ftp://example.com', 'unsupported_protocol'],
      ['file:///etc/passwd', 'unsupported_protocol'],
      ['javascript:alert(1)', 'unsupported_protocol'],
      ['http://user:pw@example.com', 'credentials_in_url'],
      ['https://user@example.com', 'credentials_in_url'],
      ['not a url', 'invalid_url'],
      ['http://', 'invalid_url'],
    ])('refuses %s (%s)', (url, reason) => {
      expect(refusalFrom(() => guard.checkUrl(url)).reason).toBe(reason);
    });

    it('names the address and its range in the message', () => {
      expect(refusalFrom(() => guard.checkUrl('http://2130706433')).message).toBe(
        '127.0.0.1 is a loopback address, which webhooks may not call',
      );
    });

    it.each([
      'https://93.184.216.34',
      'https://93.184.216.34:8443/hook?x=1',
      'https://[2606:4700:4700::1111]/hook',
      'https://example.com',
      'http://example.com/webhooks',
      'https://localhost',
    ])('accepts %s', (url) => {
      expect(guard.checkUrl(url).href).toBe(new URL(url).href);
    });
  });

  describe('allowed ranges', () => {
    const guard = new DestinationGuard(['127.0.0.0/8']);

    it.each([
      'http://127.0.0.1:3000/hook',
      'http://2130706433',
      'http://127.1',
      'http://[::ffff:127.0.0.1]',
    ])('exempt %s', (url) => {
      expect(() => guard.checkUrl(url)).not.toThrow();
    });

    it.each(['http://10.0.0.1', 'http://[::1]', 'http://[64:ff9b::7f00:1]'])(
      'do not exempt %s',
      (url) => {
        expect(refusalFrom(() => guard.checkUrl(url)).reason).toBe('address_not_allowed');
      },
    );

    it('match IPv6 ranges', () => {
      const v6 = new DestinationGuard(['::1/128', 'fd00::/8']);

      expect(() => v6.checkAddress('::1')).not.toThrow();
      expect(() => v6.checkAddress('fd12::1')).not.toThrow();
      expect(() => v6.checkAddress('127.0.0.1')).toThrow(DestinationNotAllowedError);
    });

    it('read an IPv4-mapped range as the IPv4 range it maps', () => {
      const mapped = new DestinationGuard(['::ffff:127.0.0.0/104']);

      expect(() => mapped.checkAddress('127.0.0.1')).not.toThrow();
      expect(() => mapped.checkAddress('::ffff:127.0.0.1')).not.toThrow();
      expect(() => mapped.checkAddress('10.0.0.1')).toThrow(DestinationNotAllowedError);
    });

    it('must be CIDRs', () => {
      expect(() => new DestinationGuard(['localhost'])).toThrow(
        '"localhost" is not a CIDR range (write it as 10.0.0.0/8 or fd00::/8)',
      );
    });
  });

  describe('checkAddress', () => {
    const guard = new DestinationGuard([]);

    it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34'])(
      'accepts the public address %s',
      (ip) => {
        expect(() => guard.checkAddress(ip)).not.toThrow();
      },
    );

    it.each(['::ffff:10.0.0.1', '::ffff:169.254.169.254', 'fe80::1%eth0', 'not-an-ip'])(
      'refuses %s',
      (ip) => {
        expect(refusalFrom(() => guard.checkAddress(ip)).reason).toBe('address_not_allowed');
      },
    );
  });

  describe('lookup', () => {
    it('refuses localhost, which resolves to loopback', async () => {
      const result = await lookupWith(new DestinationGuard([]), 'localhost', { all: true });

      expect(result.error).toBeInstanceOf(DestinationNotAllowedError);
      expect(result.error?.message).toBe(
        'localhost resolves to a loopback address, which webhooks may not call',
      );
    });

    it('accepts localhost when loopback is allowed, handing over only checked addresses', async () => {
      const guard = new DestinationGuard(['127.0.0.0/8', '::1/128']);

      const result = await lookupWith(guard, 'localhost', { all: true });

      expect(result.error).toBeNull();
      expect(result.address).not.toHaveLength(0);
      for (const { address } of result.address as LookupAddress[]) {
        expect(['127.0.0.1', '::1']).toContain(address);
      }
    });

    it('hands over the first address and its family when one address is asked for', async () => {
      const guard = new DestinationGuard([], resolvingTo('2606:4700::1111', '93.184.216.34'));

      expect(await lookupWith(guard, 'example.test', {})).toEqual({
        error: null,
        address: '2606:4700::1111',
        family: 6,
      });
    });

    it('refuses a name when any of its addresses is refused', async () => {
      const guard = new DestinationGuard([], resolvingTo('93.184.216.34', '10.0.0.1'));

      const result = await lookupWith(guard, 'rebind.test', { all: true });

      expect(result.error).toBeInstanceOf(DestinationNotAllowedError);
      expect(result.error?.message).toBe(
        'rebind.test resolves to a private address, which webhooks may not call',
      );
    });

    it.each([
      ['127.0.0.2', 'a loopback address'],
      ['::1', 'a loopback address'],
      ['10.1.2.3', 'a private address'],
      ['172.16.5.4', 'a private address'],
      ['192.168.7.7', 'a private address'],
      ['::ffff:192.168.0.1', 'a private address'],
      ['fd12:3456::1', 'a private (unique local) address'],
      ['169.254.169.254', 'a link-local address'],
      ['fe80::1', 'a link-local address'],
      ['100.64.0.9', 'a shared (carrier-grade NAT) address'],
      ['0.0.0.0', 'an unspecified address'],
      ['224.0.0.1', 'a multicast address'],
      ['192.0.2.1', 'a reserved address'],
      ['64:ff9b::a00:1', 'a NAT64 address'],
      ['2002:7f00:1::', 'a 6to4 tunnel address'],
      ['100::1', 'a special-purpose address'],
    ])('names the rule a name resolving to %s breaks (%s), never the address', async (ip, rule) => {
      const guard = new DestinationGuard([], resolvingTo(ip));

      const result = await lookupWith(guard, 'internal.test', { all: true });

      expect(result.error).toBeInstanceOf(DestinationNotAllowedError);
      expect(result.error?.message).toBe(
        `internal.test resolves to ${rule}, which webhooks may not call`,
      );
      expect(result.error?.message).not.toContain(ip);
    });

    it('refuses a name that resolves to an IPv4-mapped private address', async () => {
      const guard = new DestinationGuard([], resolvingTo('::ffff:192.168.0.1'));

      const result = await lookupWith(guard, 'mapped.test', { all: true });

      expect(result.error).toBeInstanceOf(DestinationNotAllowedError);
    });

    it('passes DNS errors through unchanged, since they are not refusals', async () => {
      const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), {
        code: 'ENOTFOUND',
      });
      const guard = new DestinationGuard([], () => Promise.reject(notFound));

      expect((await lookupWith(guard, 'nowhere.test', { all: true })).error).toBe(notFound);
    });
  });

  describe('checkDestination', () => {
    it('refuses a name that resolves to a refused address', async () => {
      await expect(
        new DestinationGuard([]).checkDestination('http://localhost/hook'),
      ).rejects.toMatchObject({
        name: 'DestinationNotAllowedError',
        reason: 'address_not_allowed',
      });
    });

    it('accepts a name that resolves to public addresses', async () => {
      const guard = new DestinationGuard([], resolvingTo('93.184.216.34'));

      expect((await guard.checkDestination('https://example.com/hook')).host).toBe('example.com');
    });

    it('refuses a name that does not resolve', async () => {
      const guard = new DestinationGuard([], () => Promise.reject(new Error('ENOTFOUND')));

      await expect(guard.checkDestination('https://nowhere.test')).rejects.toMatchObject({
        reason: 'unresolvable_host',
        message: 'nowhere.test could not be resolved: ENOTFOUND',
      });
    });

    it('checks IP literals without resolving them', async () => {
      const resolve = jest.fn(resolvingTo('93.184.216.34'));
      const guard = new DestinationGuard([], resolve);

      await expect(guard.checkDestination('http://10.0.0.1')).rejects.toBeInstanceOf(
        DestinationNotAllowedError,
      );
      await guard.checkDestination('http://93.184.216.34');
      expect(resolve).not.toHaveBeenCalled();
    });
  });

  describe('createDispatcher', () => {
    let server: Server;
    let port: number;
    let requests: number;

    beforeAll(async () => {
      server = createServer((req, res) => {
        requests += 1;
        if (req.url === '/redirect') {
          res.writeHead(302, { location: `http://127.0.0.1:${port}/` }).end();
        } else {
          res.end('ok');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });

    beforeEach(() => {
      requests = 0;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    /** Requests `url` through a fresh dispatcher of `guard` and closes it afterwards. */
    async function call(guard: DestinationGuard, url: string) {
      const dispatcher = guard.createDispatcher({ connectTimeoutMs: 2_000 });
      try {
        const response = await request(url, { dispatcher });
        return { status: response.statusCode, body: await response.body.text() };
      } finally {
        await dispatcher.close();
      }
    }

    /** The error a refused request rejects with: undici's request() passes it on unwrapped. */
    async function refusalOf(promise: Promise<unknown>): Promise<DestinationNotAllowedError> {
      const error: unknown = await promise.then(
        () => new Error('expected the request to be refused'),
        (reason: unknown) => reason,
      );
      if (error instanceof DestinationNotAllowedError) return error;
      throw error;
    }

    it('connects to a name whose addresses are allowed', async () => {
      const guard = new DestinationGuard(['127.0.0.0/8', '::1/128']);

      expect(await call(guard, `http://localhost:${port}/`)).toEqual({ status: 200, body: 'ok' });
      expect(requests).toBe(1);
    });

    it('refuses at connect time a name that resolves to a refused address', async () => {
      const refusal = await refusalOf(call(new DestinationGuard([]), `http://localhost:${port}/`));

      expect(refusal.reason).toBe('address_not_allowed');
      expect(requests).toBe(0);
    });

    it('refuses at connect time an IP literal, for which net.connect skips lookup', async () => {
      const refusal = await refusalOf(call(new DestinationGuard([]), `http://127.0.0.1:${port}/`));

      expect(refusal.message).toBe('127.0.0.1 is a loopback address, which webhooks may not call');
      expect(requests).toBe(0);
    });

    it('does not follow redirects', async () => {
      const guard = new DestinationGuard(['127.0.0.0/8']);

      expect(await call(guard, `http://127.0.0.1:${port}/redirect`)).toMatchObject({
        status: 302,
      });
      expect(requests).toBe(1);
    });
  });
});
