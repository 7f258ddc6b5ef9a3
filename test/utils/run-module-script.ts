import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Runs `script` as an ES module in a Node process of its own, from the repository's root, with
 * `input` on its stdin; resolves with its stdout. For ESM-only packages: Jest runs the suites as
 * CommonJS (no --experimental-vm-modules) and cannot load them.
 */
export function runModuleScript(script: string, input: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--eval', script], {
      cwd: resolve(__dirname, '../..'),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(stdout);
      else reject(new Error(`the script exited with ${code}: ${stderr}`));
    });
    child.stdin.end(input);
  });
}
