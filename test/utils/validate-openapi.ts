import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

// The validator is ESM-only and Jest runs this suite as CommonJS (no --experimental-vm-modules),
// so it runs in a Node process of its own, reading the document on stdin.
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
 * `errors` when it is not, and the OpenAPI version it recognised (e.g. `3.0`).
 */
export function validateOpenApi(
  document: unknown,
): Promise<{ valid: boolean; errors?: unknown; version?: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--eval', SCRIPT], {
      cwd: resolve(__dirname, '../..'),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`the OpenAPI validator exited with ${code}: ${stderr}`));
        return;
      }
      try {
        resolvePromise(
          JSON.parse(stdout) as { valid: boolean; errors?: unknown; version?: string },
        );
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.stdin.end(JSON.stringify(document));
  });
}
