import { InFlightLimiter, type WaitingOwner } from './in-flight-limiter';

const owner = (tenantId: string, subscriptionId: string): WaitingOwner => ({
  tenantId,
  subscriptionId,
});

/** Takes every slot `who` may have now; returns their releases. */
function fill(limiter: InFlightLimiter, who: WaitingOwner): (() => void)[] {
  const releases: (() => void)[] = [];
  while (limiter.free(who) > 0) releases.push(limiter.acquire(who));
  return releases;
}

/** Who the limiter hands `slots` freed slots to, one at a time, each served one taking it. */
function serve(limiter: InFlightLimiter, slots: (() => void)[]): string[] {
  const served: string[] = [];
  for (const release of slots) {
    release();
    const next = limiter.next();
    if (!next) break;
    served.push(`${next.tenantId}/${next.subscriptionId}`);
    limiter.acquire(next);
    // Still has deliveries ready: back in line, behind the others of its tenant.
    limiter.wait(next);
  }
  return served;
}

describe('InFlightLimiter', () => {
  it('caps a tenant across its subscriptions, leaving the other slots to other tenants', () => {
    const limiter = new InFlightLimiter({ perSubscription: 10, perTenant: 25, overall: 100 });
    for (let n = 0; n < 10; n++) fill(limiter, owner('attacker', `s${n}`));

    expect(limiter.inFlight).toBe(25);
    expect(limiter.tenantFull('attacker')).toBe(true);
    expect(limiter.tenantsAtCap).toBe(1);
    expect(limiter.free(owner('attacker', 's-new'))).toBe(0);
    expect(limiter.free(owner('victim', 'v'))).toBe(10);
  });

  it('applies only the subscription and process caps while the tenant is unknown', () => {
    const limiter = new InFlightLimiter({ perSubscription: 10, perTenant: 5, overall: 100 });
    fill(limiter, owner('t', 'a'));

    expect(limiter.free({ subscriptionId: 'b' })).toBe(10);
    expect(limiter.free(owner('t', 'b'))).toBe(0);
  });

  it('frees the slot of the subscription, the tenant and the process on release, once', () => {
    const limiter = new InFlightLimiter({ perSubscription: 2, perTenant: 3, overall: 4 });
    const [release] = fill(limiter, owner('t', 'a'));
    fill(limiter, owner('t', 'b'));
    expect(limiter.tenantFull('t')).toBe(true);

    release();
    release();

    expect(limiter.inFlight).toBe(2);
    expect(limiter.tenantFull('t')).toBe(false);
    expect(limiter.free(owner('t', 'a'))).toBe(1);
  });

  it('takes turns between tenants for freed slots, however many subscriptions each has waiting', () => {
    const limiter = new InFlightLimiter({ perSubscription: 10, perTenant: 10, overall: 10 });
    const held = fill(limiter, owner('busy', 'x'));
    // The attacker has five subscriptions in line before the victim's one.
    for (let n = 0; n < 5; n++) limiter.wait(owner('attacker', `a${n}`));
    limiter.wait(owner('victim', 'v'));

    expect(serve(limiter, held.slice(0, 4))).toEqual([
      'attacker/a0',
      'victim/v',
      'attacker/a1',
      'victim/v',
    ]);
  });

  it("takes turns between a tenant's subscriptions", () => {
    const limiter = new InFlightLimiter({ perSubscription: 10, perTenant: 10, overall: 10 });
    const held = fill(limiter, owner('busy', 'x'));
    for (const subscription of ['a', 'b', 'c']) limiter.wait(owner('t', subscription));

    expect(serve(limiter, held.slice(0, 5))).toEqual(['t/a', 't/b', 't/c', 't/a', 't/b']);
  });

  it('passes over a tenant at its cap and a subscription at its own for those that may take a slot', () => {
    const limiter = new InFlightLimiter({ perSubscription: 2, perTenant: 3, overall: 6 });
    fill(limiter, owner('capped', 'c1'));
    const [release] = fill(limiter, owner('capped', 'c2'));
    fill(limiter, owner('other', 'o1'));
    limiter.wait(owner('capped', 'c3'));
    limiter.wait(owner('other', 'o1'));
    limiter.wait(owner('other', 'o2'));

    expect(limiter.full).toBe(false);
    expect(limiter.next()).toEqual(owner('other', 'o2'));
    expect(limiter.next()).toBeUndefined();
    // A slot of the capped tenant frees: now its subscription in line may take it.
    release();
    expect(limiter.next()).toEqual(owner('capped', 'c3'));
  });

  it('hands out nothing while the process is full', () => {
    const limiter = new InFlightLimiter({ perSubscription: 5, perTenant: 5, overall: 5 });
    fill(limiter, owner('t', 'a'));
    limiter.wait(owner('u', 'b'));

    expect(limiter.next()).toBeUndefined();
  });

  it('keeps the place of a subscription already in line, and forgets one that leaves', () => {
    const limiter = new InFlightLimiter({ perSubscription: 5, perTenant: 5, overall: 5 });
    expect(limiter.wait(owner('t', 'a'))).toBe(true);
    expect(limiter.wait(owner('t', 'b'))).toBe(true);
    expect(limiter.wait(owner('t', 'a'))).toBe(false);
    limiter.leave(owner('t', 'b'));

    expect(limiter.next()).toEqual(owner('t', 'a'));
    expect(limiter.next()).toBeUndefined();
  });
});
