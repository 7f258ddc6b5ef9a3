/**
 * The message of anything thrown, for logs and recorded errors. Duck-typed rather than
 * `instanceof Error`: errors from another realm (Node's own under Jest) are still read.
 */
export function errorMessage(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error
    ? String(error.message)
    : String(error);
}
