import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { systemClock } from '../clock';
import { ApiKeyHolds } from './api-key-holds';
import type { Principal } from './principal';

const key = (credentialId: string): Principal => ({ kind: 'tenant', tenantId: 't', credentialId });

describe('ApiKeyHolds', () => {
  it("aborts the request's own signal when its key is revoked, and says so", () => {
    const holds = new ApiKeyHolds({ clock: systemClock });
    const request = new AbortController();
    const hold = holds.hold(key('k'), request);

    holds.revoke('k');

    expect(hold.signal).toBe(request.signal);
    expect(request.signal.aborted).toBe(true);
    expect(hold.revoked).toBe(true);
    expect(() => hold.throwIfRevoked()).toThrow(
      expect.objectContaining({ code: NotificationsErrorCode.Unauthorized }),
    );
  });

  it('does not call a client that left revoked, and a revocation after that changes nothing', () => {
    const holds = new ApiKeyHolds({ clock: systemClock });
    const request = new AbortController();
    const hold = holds.hold(key('k'), request);

    request.abort();
    holds.revoke('k');

    expect(hold.signal.aborted).toBe(true);
    expect(hold.revoked).toBe(false);
    expect(() => hold.throwIfRevoked()).not.toThrow();
  });

  it('forgets a released hold: revoking its key later aborts nothing', () => {
    const holds = new ApiKeyHolds({ clock: systemClock });
    const request = new AbortController();
    const other = new AbortController();
    holds.hold(key('k'), request).release();
    holds.hold(key('k'), other);

    expect(holds.heldKeys()).toEqual(['k']);
    holds.revoke('k');

    expect(request.signal.aborted).toBe(false);
    expect(other.signal.aborted).toBe(true);
    expect(holds.heldKeys()).toEqual([]);
  });

  it('refuses a hold on a key revoked moments ago', () => {
    const holds = new ApiKeyHolds({ clock: systemClock });
    holds.revoke('k');

    expect(() => holds.hold(key('k'))).toThrow(NotificationsError);
  });

  it('forgets a revocation a minute later, on its clock', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const holds = new ApiKeyHolds({ clock: { now: () => new Date(now) } });
    holds.revoke('k');
    now += 59_999;
    expect(() => holds.hold(key('k'))).toThrow(NotificationsError);

    now += 1;
    const hold = holds.hold(key('k'));
    expect(holds.heldKeys()).toEqual(['k']);
    hold.release();
  });

  it('never revokes the admin token, and makes a controller when given none', () => {
    const holds = new ApiKeyHolds({ clock: systemClock });
    const hold = holds.hold({ kind: 'admin' });

    expect(hold.signal.aborted).toBe(false);
    expect(hold.revoked).toBe(false);
    expect(holds.heldKeys()).toEqual([]);
    hold.release();
  });

  describe('a portal session', () => {
    const session = (id: string, expiresAt: number): Principal => ({
      kind: 'tenant',
      tenantId: 't',
      credentialId: id,
      portal: { readOnly: false, expiresAt },
    });

    afterEach(() => jest.useRealTimers());

    it('ends what it holds when it expires, as a revocation would', () => {
      jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
      const holds = new ApiKeyHolds({ clock: systemClock });
      const hold = holds.hold(session('s', Date.now() + 60_000));

      jest.advanceTimersByTime(59_999);
      expect(hold.signal.aborted).toBe(false);
      jest.advanceTimersByTime(1);
      expect(hold.revoked).toBe(true);
      expect(() => hold.throwIfRevoked()).toThrow(
        expect.objectContaining({ code: NotificationsErrorCode.Unauthorized }),
      );
      hold.release();
      expect(holds.heldKeys()).toEqual([]);
    });

    it('leaves no timer behind once released', () => {
      jest.useFakeTimers();
      const holds = new ApiKeyHolds({ clock: systemClock });
      holds.hold(session('s', Date.now() + 60_000)).release();

      expect(jest.getTimerCount()).toBe(0);
    });

    it('refuses a hold once expired, on its clock', () => {
      const holds = new ApiKeyHolds({ clock: { now: () => new Date(1_000) } });

      expect(() => holds.hold(session('s', 1_000))).toThrow(NotificationsError);
      expect(holds.heldKeys()).toEqual([]);
    });
  });
});
