import { applyDecorators } from '@nestjs/common';
import { Expose, Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';

/** The variables the configuration is read from: `.env` overlaid by `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** What a parser said of a value it refused, kept for validation to report. */
class Refused {
  constructor(readonly problem: string) {}
}

/**
 * Fills the property from the variable `name`: surrounding whitespace is trimmed (a copy-paste
 * accident), blank means `fallback`, and `parse` makes the typed value (it is also given the whole
 * environment). A value `parse` refuses, by throwing, fails validation as `NAME: <its message>`.
 */
export function Env<T>(
  name: string,
  fallback: string,
  parse: (text: string, env: Environment) => T,
): PropertyDecorator {
  return applyDecorators(
    Expose({ name }),
    Transform(({ value, obj }: { value: unknown; obj: Environment }) => {
      const text = typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
      try {
        return parse(text, obj);
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        return new Refused(error.message);
      }
    }),
    ValidateBy({
      name,
      validator: {
        validate: (value) => !(value instanceof Refused),
        defaultMessage: (args) => `${name}: ${(args?.value as Refused).problem}`,
      },
    }),
  );
}
