import { Transform } from 'class-transformer';

const DECIMAL = /^\d+$/;

/**
 * A query parameter that is a whole number written in decimal digits. Anything else stays a
 * string for `@IsInt()` to refuse: `Number()` would read `1e2`, `0x10`, ` 1` and the empty string
 * as numbers, so a typo would pass as some other value.
 */
export function QueryInteger(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value,
  );
}
