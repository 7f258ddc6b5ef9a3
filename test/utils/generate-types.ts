import { runModuleScript } from './run-module-script';

// openapi-typescript loads ESM-only packages, so it runs in a Node process of its own, reading the
// document on stdin.
const SCRIPT = `
  import openapiTS, { astToString } from 'openapi-typescript';
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  process.stdout.write(astToString(await openapiTS(JSON.parse(input), { rootTypes: true })));
`;

/**
 * The TypeScript that `openapi-typescript` (v7's `openapiTS` and `astToString`) generates from
 * `document`, with `rootTypes` (an exported `Schema<Name>` alias per component), as a receiver
 * running `npx openapi-typescript <url> --root-types` gets it.
 */
export function generateTypes(document: unknown): Promise<string> {
  return runModuleScript(SCRIPT, JSON.stringify(document));
}
