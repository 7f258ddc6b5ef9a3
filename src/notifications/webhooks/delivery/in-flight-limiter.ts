/** Whose slot an attempt takes: a subscription, and its tenant once known. */
export interface SlotOwner {
  subscriptionId: string;
  /** Unknown until the subscription's first claim; until then only the other caps apply. */
  tenantId?: string;
}

/** A subscription waiting in line for a slot, with its tenant. */
export type WaitingOwner = Required<SlotOwner>;

/** How many attempts may be in flight in this process at once. */
export interface InFlightCaps {
  perSubscription: number;
  perTenant: number;
  overall: number;
}

/**
 * Caps attempts in flight in this process: per subscription, so one slow or hanging receiver holds
 * at most `perSubscription` slots and never delays the others; per tenant, so one tenant with many
 * hanging receivers holds at most `perTenant` and leaves the rest to the other tenants; and in all,
 * so a worker's sockets and memory stay bounded whatever the number of subscriptions.
 *
 * Subscriptions that have deliveries ready but no slot wait in line; a freed slot goes to the next
 * in line that may take it, taking turns between tenants first and between a tenant's
 * subscriptions second, so neither a tenant with many subscriptions nor a subscription with a long
 * backlog keeps the slots it frees.
 */
export class InFlightLimiter {
  private readonly bySubscription = new Map<string, number>();
  private readonly byTenant = new Map<string, number>();
  private total = 0;
  /** Tenants in line, in turn order; each with its subscriptions in line, in turn order. */
  private readonly line = new Map<string, Set<string>>();

  constructor(private readonly caps: InFlightCaps) {}

  /** Attempts in flight in this process. */
  get inFlight(): number {
    return this.total;
  }

  /** Whether every slot of the process is taken. */
  get full(): boolean {
    return this.total >= this.caps.overall;
  }

  /** Tenants holding every slot their cap allows. */
  get tenantsAtCap(): number {
    let count = 0;
    for (const held of this.byTenant.values()) if (held >= this.caps.perTenant) count += 1;
    return count;
  }

  /** Whether `tenantId` holds every slot its cap allows. */
  tenantFull(tenantId: string | undefined): boolean {
    return tenantId !== undefined && (this.byTenant.get(tenantId) ?? 0) >= this.caps.perTenant;
  }

  /** How many slots `owner` could take now. */
  free(owner: SlotOwner): number {
    const own = this.caps.perSubscription - (this.bySubscription.get(owner.subscriptionId) ?? 0);
    const tenant =
      owner.tenantId === undefined
        ? Infinity
        : this.caps.perTenant - (this.byTenant.get(owner.tenantId) ?? 0);
    return Math.max(0, Math.min(own, tenant, this.caps.overall - this.total));
  }

  /**
   * Takes a slot for `owner` (the caller checked {@link free}); returns its release, safe to call
   * twice.
   */
  acquire(owner: WaitingOwner): () => void {
    const { subscriptionId, tenantId } = owner;
    this.bySubscription.set(subscriptionId, (this.bySubscription.get(subscriptionId) ?? 0) + 1);
    this.byTenant.set(tenantId, (this.byTenant.get(tenantId) ?? 0) + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      decrement(this.bySubscription, subscriptionId);
      decrement(this.byTenant, tenantId);
    };
  }

  /**
   * Puts `owner` in line for a slot, behind the others of its tenant; one already in line keeps
   * its place. Returns whether it joined the line now.
   */
  wait(owner: WaitingOwner): boolean {
    const waiting = this.line.get(owner.tenantId);
    if (!waiting) {
      this.line.set(owner.tenantId, new Set([owner.subscriptionId]));
      return true;
    }
    if (waiting.has(owner.subscriptionId)) return false;
    waiting.add(owner.subscriptionId);
    return true;
  }

  /**
   * Takes out of line the next subscription that may take a slot now: the first tenant in line
   * under its cap, and its first subscription under its own. The tenant goes to the back of the
   * line; the subscription leaves it (the caller puts it back with {@link wait} if it still has
   * deliveries ready after its turn).
   */
  next(): WaitingOwner | undefined {
    if (this.full) return undefined;
    for (const [tenantId, waiting] of this.line) {
      if (this.tenantFull(tenantId)) continue;
      for (const subscriptionId of waiting) {
        if ((this.bySubscription.get(subscriptionId) ?? 0) >= this.caps.perSubscription) continue;
        waiting.delete(subscriptionId);
        this.line.delete(tenantId);
        if (waiting.size > 0) this.line.set(tenantId, waiting);
        return { tenantId, subscriptionId };
      }
    }
    return undefined;
  }

  /** Takes `owner` out of line (its drain ended). */
  leave(owner: SlotOwner): void {
    if (owner.tenantId === undefined) return;
    const waiting = this.line.get(owner.tenantId);
    if (!waiting) return;
    waiting.delete(owner.subscriptionId);
    if (waiting.size === 0) this.line.delete(owner.tenantId);
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left === 0) counts.delete(key);
  else counts.set(key, left);
}
