import { runModuleScript } from './run-module-script';

// The validator is ESM-only, so it runs in a Node process of its own, reading the document on stdin.
const SCRIPT = `
  import { Validator } from '@seriousme/openapi-schema-validator';
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const validator = new Validator();
  const result = await validator.validate(JSON.parse(input));
  process.stdout.write(JSON.stringify({ ...result, version: validator.version }));
`;

/**
 * Validates `document` with `@seriousme/openapi-schema-validator`: `valid`, the validator's
 * `errors` when it is not, and the OpenAPI version it recognised (e.g. `3.1`).
 */
export async function validateOpenApi(
  document: unknown,
): Promise<{ valid: boolean; errors?: unknown; version?: string }> {
  const output = await runModuleScript(SCRIPT, JSON.stringify(document));
  return JSON.parse(output) as { valid: boolean; errors?: unknown; version?: string };
}
