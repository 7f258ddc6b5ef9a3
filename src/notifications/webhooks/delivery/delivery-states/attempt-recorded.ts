import type { EntityManager } from 'typeorm';
import type { AttemptResult } from '../attempt-result';
import type { ClaimedDelivery } from './claimed';
import { HERALD } from '../../../database/herald-names';

const INSERT_ATTEMPT = `
  INSERT INTO ${HERALD.delivery_attempts}
    (delivery_id, attempt, started_at, duration_ms, status_code, response_snippet, error)
  VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id, attempt) DO NOTHING`;

/**
 * The attempt row of a claimed delivery's attempt that did not succeed, once (written beside the
 * transition it leads to, in the same transaction).
 */
export async function recordAttempt(
  manager: EntityManager,
  claimed: ClaimedDelivery,
  result: AttemptResult,
): Promise<void> {
  await manager.query(INSERT_ATTEMPT, [
    claimed.id,
    claimed.attempts,
    result.startedAt,
    result.durationMs,
    result.statusCode ?? null,
    result.snippet ?? null,
    result.error ?? null,
  ]);
}
