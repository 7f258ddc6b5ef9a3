const UNIT_BYTES = { '': 1, KiB: 1024, MiB: 1024 * 1024 } as const;

type ByteUnit = keyof typeof UNIT_BYTES;

const BYTE_SIZE_PATTERN = /^(\d+)(KiB|MiB)?$/;

/**
 * Parses a size written as a whole number of bytes, or of KiB or MiB (`1048576`, `512KiB`, `1MiB`).
 *
 * @returns the size in bytes
 * @throws Error when the text is not in that form or the result is too large to be exact
 */
export function parseByteSize(text: string): number {
  const match = BYTE_SIZE_PATTERN.exec(text);
  if (!match) {
    throw new Error(`"${text}" is not a size (write bytes, or KiB or MiB, as in 1048576 or 1MiB)`);
  }
  const [, amount, unit = ''] = match;
  const bytes = Number(amount) * UNIT_BYTES[unit as ByteUnit];
  if (!Number.isSafeInteger(bytes)) {
    throw new Error(`"${text}" is too large`);
  }
  return bytes;
}
