import { Inject, Injectable } from '@nestjs/common';
import { RESOLVED_OPTIONS } from '../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { ResolvedNotificationsOptions } from '../notifications.options';

/**
 * Seconds a refused client is told to wait. A place frees as soon as any of the tenant's polls is
 * answered, which with 30 s polls happens all the time, so a short wait is the honest hint.
 */
const RETRY_AFTER_SECONDS = 1;

/**
 * Counts the long polls and streams each tenant holds open in this process and refuses one over
 * `maxHeldPollsPerTenant` with `too_many_polls`, so one tenant cannot take every socket and every
 * byte of memory the process has for held requests.
 */
@Injectable()
export class HeldPollLimiter {
  private readonly held = new Map<string, number>();

  constructor(
    @Inject(RESOLVED_OPTIONS)
    private readonly options: Pick<ResolvedNotificationsOptions, 'maxHeldPollsPerTenant'>,
  ) {}

  /** Polls and streams the tenant holds open right now in this process. */
  heldBy(tenantId: string): number {
    return this.held.get(tenantId) ?? 0;
  }

  /**
   * Takes one of the tenant's places.
   *
   * @returns gives the place back; calling it again does nothing
   * @throws NotificationsError `too_many_polls` when every place is taken
   */
  acquire(tenantId: string): () => void {
    const count = this.heldBy(tenantId);
    const max = this.options.maxHeldPollsPerTenant;
    if (count >= max) {
      throw new NotificationsError(
        NotificationsErrorCode.TooManyPolls,
        `This tenant already holds ${max} long polls and streams, the most allowed at once; ` +
          `retry after ${RETRY_AFTER_SECONDS} s or when one of them is answered`,
        { retryAfter: RETRY_AFTER_SECONDS },
      );
    }
    this.held.set(tenantId, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.heldBy(tenantId) - 1;
      if (left > 0) this.held.set(tenantId, left);
      else this.held.delete(tenantId);
    };
  }
}
