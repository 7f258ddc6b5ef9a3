const BEARER = /^Bearer ([\x21-\x7e]+)$/;

/**
 * The token of an `Authorization: Bearer <token>` header: visible ASCII, no spaces. Undefined for
 * any other header, or none.
 */
export function bearerToken(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}
