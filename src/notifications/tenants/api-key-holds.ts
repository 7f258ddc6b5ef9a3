import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { invalidCredentials } from './invalid-credentials';
import type { PortalGrant, Principal } from './principal';

/**
 * How long a revoked key is remembered here: longer than any request takes between being
 * authenticated and starting to hold, so a request authenticated just before its key was revoked
 * still ends at once.
 */
const REMEMBER_REVOKED_MS = 60_000;

/** The abort reason of a request ended because its key was revoked. */
const KEY_REVOKED = Object.freeze({ reason: 'API key revoked' });

/**
 * What a request holds open with a key; see {@link ApiKeyHolds.hold}. An instance of one class
 * with the holds' state in fields, so a held poll keeps no closures for it.
 */
export class KeyHold {
  constructor(
    private readonly controller: AbortController,
    private readonly holds?: Map<string, Set<AbortController>>,
    private readonly keyId?: string,
    private readonly expiry?: NodeJS.Timeout,
  ) {}

  /** Aborts when the client leaves or the key is revoked. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the key was revoked while held. */
  get revoked(): boolean {
    return this.controller.signal.aborted && this.controller.signal.reason === KEY_REVOKED;
  }

  /**
   * Throws the `unauthorized` error when the key was revoked while held.
   *
   * @throws NotificationsError `unauthorized`
   */
  throwIfRevoked(): void {
    if (this.revoked) throw invalidCredentials();
  }

  /** Lets go; call it when the request ends. */
  release(): void {
    if (this.expiry) clearTimeout(this.expiry);
    if (!this.holds || this.keyId === undefined) return;
    const held = this.holds.get(this.keyId);
    if (!held?.delete(this.controller)) return;
    if (held.size === 0) this.holds.delete(this.keyId);
  }
}

/**
 * The long polls and streams each API key or portal session holds open in this process, so
 * revoking it ends them at once: they are aborted and answer as a request with an unknown key
 * would. A portal session's end ends them too.
 */
@Injectable()
export class ApiKeyHolds {
  private readonly byKey = new Map<string, Set<AbortController>>();
  /** Keys revoked lately, with when to forget them. */
  private readonly revokedLately = new Map<string, number>();

  constructor(
    @Inject(RESOLVED_OPTIONS) private readonly options: Pick<ResolvedNotificationsOptions, 'clock'>,
  ) {}

  /** Ids of the keys with something held open right now. */
  heldKeys(): string[] {
    return [...this.byKey.keys()];
  }

  /**
   * Registers what `principal` holds open until `release()`; the admin token is never revoked.
   *
   * @param request the request's controller, aborted when the client leaves (see `ClientGone`);
   *   revoking the key aborts it too, so a held request listens to one signal for both. A new
   *   one when omitted.
   * @throws NotificationsError `unauthorized` when the key was revoked moments ago
   */
  hold(principal: Principal, request: AbortController = new AbortController()): KeyHold {
    if (principal.kind !== 'tenant') return new KeyHold(request);
    const keyId = principal.credentialId;
    this.forgetOldRevocations();
    if (this.revokedLately.has(keyId)) throw invalidCredentials();
    const expiry = principal.portal && this.expireAtSessionEnd(principal.portal, request);
    let set = this.byKey.get(keyId);
    if (!set) this.byKey.set(keyId, (set = new Set()));
    set.add(request);
    return new KeyHold(request, this.byKey, keyId, expiry);
  }

  /** Ends everything the key holds open, and refuses holds it starts for a while after. */
  revoke(credentialId: string): void {
    this.revokedLately.set(credentialId, this.options.clock.now().getTime() + REMEMBER_REVOKED_MS);
    const holds = this.byKey.get(credentialId);
    this.byKey.delete(credentialId);
    for (const controller of holds ?? []) controller.abort(KEY_REVOKED);
  }

  /** Aborts the request, as a revocation would, when the portal session ends. */
  private expireAtSessionEnd(session: PortalGrant, request: AbortController): NodeJS.Timeout {
    const left = session.expiresAt - this.options.clock.now().getTime();
    if (left <= 0) throw invalidCredentials();
    const timer = setTimeout(() => request.abort(KEY_REVOKED), left);
    timer.unref();
    return timer;
  }

  private forgetOldRevocations(): void {
    if (this.revokedLately.size === 0) return;
    const now = this.options.clock.now().getTime();
    for (const [keyId, until] of this.revokedLately) {
      if (until <= now) this.revokedLately.delete(keyId);
    }
  }
}
