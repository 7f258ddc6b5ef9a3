import type { Clock } from '../clock';
import type { Principal } from './principal';

const MAX_ENTRIES = 10_000;

/**
 * Remembers authenticated keys and portal sessions for a few seconds, so a busy client costs no database round trip
 * per request. Revoking a key evicts it here at once, on every instance (through NOTIFY); the TTL
 * bounds how long a revocation can go unseen when a notification is lost.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, { principal: Principal; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  /** The principal of a key hash, if it was authenticated less than the TTL ago. */
  get(hash: string): Principal | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.expires > this.clock.now().getTime()) return entry.principal;
    this.entries.delete(hash);
    return undefined;
  }

  /** Remembers a successful authentication. */
  set(hash: string, principal: Principal): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= MAX_ENTRIES) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, { principal, expires: this.clock.now().getTime() + this.ttlMs });
  }

  /** Forgets every key. */
  clear(): void {
    this.entries.clear();
  }

  /** Forgets a key, by its id. */
  evict(credentialId: string): void {
    for (const [hash, { principal }] of this.entries) {
      if (principal.kind === 'tenant' && principal.credentialId === credentialId)
        this.entries.delete(hash);
    }
  }
}
