import { Injectable } from '@nestjs/common';
import { invalidCredentials } from './invalid-credentials';
import type { Principal } from './principal';

/**
 * How long a revoked key is remembered here: longer than any request takes between being
 * authenticated and starting to hold, so a request authenticated just before its key was revoked
 * still ends at once.
 */
const REMEMBER_REVOKED_MS = 60_000;

/** What a request holds open with a key; see {@link ApiKeyHolds.hold}. */
export interface KeyHold {
  /** Aborts when the client leaves or the key is revoked. */
  readonly signal: AbortSignal;
  /** Whether the key was revoked while held. */
  readonly revoked: boolean;
  /**
   * Throws the `unauthorized` error when the key was revoked while held.
   *
   * @throws NotificationsError `unauthorized`
   */
  throwIfRevoked(): void;
  /** Lets go; call it when the request ends. */
  release(): void;
}

/**
 * The long polls and streams each API key holds open in this process, so revoking a key ends them
 * at once: they are aborted and answer as a request with an unknown key would.
 */
@Injectable()
export class ApiKeyHolds {
  private readonly byKey = new Map<string, Set<AbortController>>();
  /** Keys revoked lately, with when to forget them. */
  private readonly revokedLately = new Map<string, number>();

  /** Ids of the keys with something held open right now. */
  heldKeys(): string[] {
    return [...this.byKey.keys()];
  }

  /**
   * Registers what `principal` holds open until `release()`; the admin token is never revoked.
   *
   * @param clientGone aborts when the client leaves
   * @throws NotificationsError `unauthorized` when the key was revoked moments ago
   */
  hold(principal: Principal, clientGone?: AbortSignal): KeyHold {
    const controller = new AbortController();
    const signal = clientGone
      ? AbortSignal.any([clientGone, controller.signal])
      : controller.signal;
    if (principal.kind !== 'tenant') {
      return { signal, revoked: false, throwIfRevoked: () => undefined, release: () => undefined };
    }
    const keyId = principal.apiKeyId;
    this.forgetOldRevocations();
    if (this.revokedLately.has(keyId)) throw invalidCredentials();
    let set = this.byKey.get(keyId);
    if (!set) this.byKey.set(keyId, (set = new Set()));
    set.add(controller);
    return {
      signal,
      get revoked() {
        return controller.signal.aborted;
      },
      throwIfRevoked() {
        if (this.revoked) throw invalidCredentials();
      },
      release: () => {
        const holds = this.byKey.get(keyId);
        if (!holds?.delete(controller)) return;
        if (holds.size === 0) this.byKey.delete(keyId);
      },
    };
  }

  /** Ends everything the key holds open, and refuses holds it starts for a while after. */
  revoke(apiKeyId: string): void {
    this.revokedLately.set(apiKeyId, Date.now() + REMEMBER_REVOKED_MS);
    const holds = this.byKey.get(apiKeyId);
    this.byKey.delete(apiKeyId);
    for (const controller of holds ?? []) controller.abort();
  }

  private forgetOldRevocations(): void {
    if (this.revokedLately.size === 0) return;
    const now = Date.now();
    for (const [keyId, until] of this.revokedLately) {
      if (until <= now) this.revokedLately.delete(keyId);
    }
  }
}
