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
  const code = sqlStateOf(error);
  if (code !== undefined && (UNAVAILABLE_STATE.test(code) || /^ECONN/.test(code))) return true;
  return errorAndDriverError(error).some(
    (candidate) => candidate instanceof Error && UNAVAILABLE_MESSAGE.test(candidate.message),
  );
}

/**
 * The SQLSTATE (or, for a failed connection, the system error code) of an error from pg or
 * TypeORM, whichever of the two carries it: TypeORM wraps pg's error in
 * `QueryFailedError.driverError` and copies some of its fields.
 */
export function sqlStateOf(error: unknown): string | undefined {
  for (const candidate of errorAndDriverError(error)) {
    if (typeof candidate === 'object' && candidate !== null && 'code' in candidate) {
      if (typeof candidate.code === 'string') return candidate.code;
    }
  }
  return undefined;
}

function errorAndDriverError(error: unknown): unknown[] {
  return typeof error === 'object' && error !== null && 'driverError' in error
    ? [error, error.driverError]
    : [error];
}

/**
 * Whether Postgres refused text it cannot store: a NUL character (U+0000) in a text column or in
 * JSON (22021, 22P05). Only a client sends that, so it is a 400, not a 500.
 */
export function isUnstorableText(error: unknown): boolean {
  const code = sqlStateOf(error);
  return code === '22021' || code === '22P05';
}
