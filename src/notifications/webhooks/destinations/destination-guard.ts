import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

/** Why a destination was refused; the HTTP layer maps every reason to `url_not_allowed`. */
export type DestinationRefusal =
  | 'invalid_url'
  | 'unsupported_protocol'
  | 'credentials_in_url'
  | 'missing_host'
  | 'unresolvable_host'
  | 'address_not_allowed';

/** A webhook destination the SSRF guard will not let Herald call. */
export class DestinationNotAllowedError extends Error {
  constructor(
    readonly reason: DestinationRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'DestinationNotAllowedError';
  }
}

/** Resolves a host name to every address it has, as `dns.lookup(hostname, { all: true })` does. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

/** Options of {@link DestinationGuard.createDispatcher}. */
export interface DestinationDispatcherOptions {
  /** How long opening a TCP (and TLS) connection may take. */
  connectTimeoutMs: number;
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

// Idle sockets are reused for bursts to the same receiver but closed before typical server-side
// idle timeouts (often 5 s to 60 s), which would otherwise make the next request fail on a reset.
const KEEP_ALIVE_TIMEOUT_MS = 4_000;
const KEEP_ALIVE_MAX_TIMEOUT_MS = 30_000;

// 2000::/3 is the only IPv6 space assigned for global unicast; ipaddr.js calls everything outside
// its special ranges 'unicast', including IPv4-compatible forms such as ::127.0.0.1.
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** The system resolver: `dns.lookup(hostname, { all: true })`. */
export const resolveWithDns: ResolveHost = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => {
      if (error) reject(error);
      else resolve(addresses);
    });
  });

/**
 * Refuses webhook destinations on loopback, private, link-local and other non-public addresses
 * (SSRF), except inside the configured allowed ranges. URLs are checked when registered and when
 * called; host names are checked again at connect time on the very addresses the socket uses.
 */
export class DestinationGuard {
  private readonly allowed: [Address, number][];

  /**
   * @param allowedCidrs ranges exempt from the block, e.g. `127.0.0.0/8` for tests.
   * @param resolve how host names are resolved; `dns.lookup` with `all: true` unless replaced.
   */
  constructor(
    allowedCidrs: readonly string[],
    private readonly resolve: ResolveHost = resolveWithDns,
  ) {
    this.allowed = allowedCidrs.map(parseAllowedCidr);
  }

  /**
   * Parses a webhook URL and refuses it unless it is http(s), carries no credentials and, when its
   * host is an IP literal, that address is allowed. Host names pass here and are checked on
   * resolution ({@link checkDestination}, {@link lookup}).
   *
   * @throws DestinationNotAllowedError
   */
  checkUrl(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DestinationNotAllowedError('invalid_url', `${JSON.stringify(url)} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new DestinationNotAllowedError(
        'unsupported_protocol',
        `webhook URLs must use http or https, not ${parsed.protocol.slice(0, -1)}`,
      );
    }
    if (parsed.username !== '' || parsed.password !== '') {
      throw new DestinationNotAllowedError(
        'credentials_in_url',
        'webhook URLs must not contain a user name or password',
      );
    }
    if (parsed.hostname === '') {
      throw new DestinationNotAllowedError('missing_host', 'webhook URLs must name a host');
    }
    // WHATWG URL has already rewritten numeric forms (2130706433, 0x7f000001, 127.1, 0177.0.0.1)
    // into dotted IPv4 and compressed IPv6, so this sees the address a socket would use.
    const literal = ipLiteral(parsed.hostname);
    if (literal !== undefined) this.checkAddress(literal);
    return parsed;
  }

  /**
   * {@link checkUrl}, then, for a host name, resolves it and refuses it unless every address it
   * resolves to is allowed. For registration; delivery re-checks at connect time.
   *
   * @throws DestinationNotAllowedError
   */
  async checkDestination(url: string): Promise<URL> {
    const parsed = this.checkUrl(url);
    if (ipLiteral(parsed.hostname) !== undefined) return parsed;
    try {
      await this.resolveAllowed(parsed.hostname);
    } catch (error) {
      if (error instanceof DestinationNotAllowedError) throw error;
      const cause = error instanceof Error ? error.message : String(error);
      throw new DestinationNotAllowedError(
        'unresolvable_host',
        `${parsed.hostname} could not be resolved: ${cause}`,
      );
    }
    return parsed;
  }

  /**
   * Refuses an address unless it is public unicast (IPv4-mapped IPv6 is judged as its IPv4) or
   * inside one of the allowed ranges.
   *
   * @throws DestinationNotAllowedError
   */
  checkAddress(ip: string): void {
    const refusal = this.refusalOf(ip);
    if (refusal) throw refusal;
  }

  /**
   * A `dns.lookup` replacement for `net.connect`/`tls.connect` (undici's `connect.lookup`): resolves
   * every address of the name, refuses the connection if any is not allowed, and hands only checked
   * addresses to the socket, so the address checked is the address connected to.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolveAllowed(hostname).then(
      (addresses) => {
        // Node 20 asks for `all` when it races address families (autoSelectFamily); every
        // address given back has passed the check, so any it picks is safe.
        if (options.all === true) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      // DNS failures pass through unchanged: they are transient, unlike a refusal.
      (error: Error) => callback(error, ''),
    );
  };

  /**
   * An undici dispatcher whose connections pass the guard. Redirects are never followed: undici 7
   * has no `maxRedirections` option and follows redirects only through its redirect interceptor,
   * which this dispatcher does not use.
   */
  createDispatcher(options: DestinationDispatcherOptions): Agent {
    const connect = buildConnector({ lookup: this.lookup, timeout: options.connectTimeoutMs });
    return new Agent({
      // net.connect skips `lookup` when the host is an IP literal, so the lookup alone would let
      // http://127.0.0.1 through. checkUrl refuses those at request time; checking the literal
      // here too keeps the dispatcher safe on its own.
      connect: (connectOptions, callback) => {
        const refusal = isIP(connectOptions.hostname)
          ? this.refusalOf(connectOptions.hostname)
          : null;
        if (refusal) callback(refusal, null);
        else connect(connectOptions, callback);
      },
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MAX_TIMEOUT_MS,
    });
  }

  /** Resolves a name and refuses it if any address is refused; DNS errors are rethrown as is. */
  private async resolveAllowed(hostname: string): Promise<LookupAddress[]> {
    const addresses = await this.resolve(hostname);
    if (addresses.length === 0) {
      throw new DestinationNotAllowedError('unresolvable_host', `${hostname} has no addresses`);
    }
    // One refused address refuses the name: the socket may try any of them (happy eyeballs), and a
    // name publishing one public and one private address must not reach the private one.
    for (const { address } of addresses) {
      const refusal = this.refusalOf(address, hostname);
      if (refusal) throw refusal;
    }
    return addresses;
  }

  /**
   * Why `ip` may not be called, or null. The message names the rule the address breaks, and the
   * address itself only when it is the URL's own literal: repeating what a name resolved to would
   * tell a tenant which internal names map to which private addresses.
   */
  private refusalOf(ip: string, hostname?: string): DestinationNotAllowedError | null {
    let address: Address;
    try {
      // process() turns IPv4-mapped IPv6 (::ffff:127.0.0.1) into the IPv4 it carries.
      address = ipaddr.process(ip);
    } catch {
      return new DestinationNotAllowedError(
        'address_not_allowed',
        hostname === undefined
          ? `${ip} is not an IP address`
          : `${hostname} resolves to something that is not an IP address`,
      );
    }
    if (
      this.allowed.some(([range, bits]) => sameKind(address, range) && address.match(range, bits))
    ) {
      return null;
    }
    const range = address.range();
    if (range === 'unicast' && (address.kind() === 'ipv4' || isGlobalUnicastV6(address))) {
      return null;
    }
    const rule = RANGE_RULES[range] ?? 'a special-purpose address';
    const subject = hostname === undefined ? `${ip} is` : `${hostname} resolves to`;
    return new DestinationNotAllowedError(
      'address_not_allowed',
      `${subject} ${rule}, which webhooks may not call`,
    );
  }
}

/**
 * The rule each of ipaddr.js's ranges breaks, in words. `unicast` here is IPv6 outside the global
 * unicast space; ranges not listed are named special-purpose.
 */
const RANGE_RULES: Partial<Record<string, string>> = {
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a shared (carrier-grade NAT) address',
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  ipv4Mapped: 'an IPv4-mapped address',
  rfc6052: 'a NAT64 address',
  rfc6145: 'a NAT64 address',
  '6to4': 'a 6to4 tunnel address',
  teredo: 'a Teredo tunnel address',
  benchmarking: 'a benchmarking address',
  unicast: 'a non-global address',
};

/** The address in a URL hostname if it is an IP literal (`[...]` for IPv6), else undefined. */
function ipLiteral(hostname: string): string | undefined {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return hostname.slice(1, -1);
  return isIP(hostname) === 4 ? hostname : undefined;
}

function parseAllowedCidr(text: string): [Address, number] {
  let parsed: [Address, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    throw new Error(`"${text}" is not a CIDR range (write it as 10.0.0.0/8 or fd00::/8)`);
  }
  const [range, bits] = parsed;
  // Addresses are compared after process(), so an IPv4-mapped range must be compared as IPv4.
  if (range.kind() === 'ipv6' && bits >= 96 && isIPv4Mapped(range)) {
    return [range.toIPv4Address(), bits - 96];
  }
  return parsed;
}

function isIPv4Mapped(address: Address): address is ipaddr.IPv6 {
  return address.kind() === 'ipv6' && address.range() === 'ipv4Mapped';
}

function isGlobalUnicastV6(address: Address): boolean {
  return address.kind() === 'ipv6' && address.match(GLOBAL_UNICAST_V6);
}

function sameKind(address: Address, range: Address): boolean {
  return address.kind() === range.kind();
}
