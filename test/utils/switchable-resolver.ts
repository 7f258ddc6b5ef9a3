import type { ResolveHost } from '../../src/notifications';

/** A DNS resolver the test controls: every name resolves to what it was last told. */
export interface SwitchableResolver {
  /** For Herald's `resolveHost` option. */
  resolve: ResolveHost;
  /** From now on, every name resolves to `addresses`. */
  answer(...addresses: string[]): void;
  /** Every name asked for, in order, with the addresses it was given. */
  calls: { hostname: string; addresses: string[] }[];
}

/** Answers from memory and sends no DNS traffic; starts out answering `addresses`. */
export function createSwitchableResolver(...addresses: string[]): SwitchableResolver {
  let current = addresses;
  const resolver: SwitchableResolver = {
    resolve: (hostname) => {
      resolver.calls.push({ hostname, addresses: current });
      return Promise.resolve(
        current.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    },
    answer: (...next) => {
      current = next;
    },
    calls: [],
  };
  return resolver;
}
