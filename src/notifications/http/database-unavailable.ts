/**
 * SQLSTATEs that say the connection failed, not the request: class 08 (connection exception),
 * 57P01–57P03 (terminated by an administrator, crash shutdown, cannot connect now) and 53300 (too
 * many connections).
 */
const UNAVAILABLE_STATE = /^(08...|57P0[123]|53300)$/;
/** What pg and pg-pool say, without a SQLSTATE, when a connection is lost or cannot be had. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|ECONNREFUSED|ECONNRESET/i;

/**
 * Whether `error` means Postgres could not be reached or dropped the connection (a restart, a
 * failover, `pg_terminate_backend`): worth retrying, and no fault of the request.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const candidate of [error, driverErrorOf(error)]) {
    if (!(candidate instanceof Error)) continue;
    const code = (candidate as Error & { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_STATE.test(code) || /^ECONN/.test(code)))
      return true;
    if (UNAVAILABLE_MESSAGE.test(candidate.message)) return true;
  }
  return false;
}

/** TypeORM wraps the driver's error in `QueryFailedError.driverError`. */
function driverErrorOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'driverError' in error
    ? error.driverError
    : undefined;
}

/**
 * Whether Postgres refused text it cannot store: a NUL character (U+0000) in a text column or in
 * JSON (22021, 22P05). Only a client sends that, so it is a 400, not a 500.
 */
export function isUnstorableText(error: unknown): boolean {
  for (const candidate of [error, driverErrorOf(error)]) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (code === '22021' || code === '22P05') return true;
  }
  return false;
}
