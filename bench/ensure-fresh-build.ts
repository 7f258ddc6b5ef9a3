import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What {@link ensureFreshBuild} did. */
export type BuildOutcome =
  | { status: 'up-to-date' | 'built' }
  /** `src/` does not compile right now; `dist/` was left as it was and is measured instead. */
  | { status: 'stale'; errors: string };

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function run(root: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync('npx', args, { cwd: root, encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

/**
 * Runs `nest build` when `dist/main.js` is missing or older than anything under `src/`, so the
 * benchmark does not measure a stale build. It type-checks first: `nest build` empties `dist/`
 * and emits even when there are type errors, so building a `src/` that someone is half-way
 * through editing would replace a working `dist/` with a broken one.
 */
export function ensureFreshBuild(root: string): BuildOutcome {
  const built = mtimeOf(join(root, 'dist', 'main.js'));
  if (built !== undefined && built >= newestMtime(join(root, 'src')))
    return { status: 'up-to-date' };
  const check = run(root, ['tsc', '-p', 'tsconfig.build.json', '--noEmit']);
  if (!check.ok) {
    if (built === undefined)
      throw new Error(`src/ does not compile and there is no dist/:\n${check.output}`);
    return { status: 'stale', errors: check.output };
  }
  const build = run(root, ['nest', 'build']);
  if (!build.ok) throw new Error(`nest build failed:\n${build.output}`);
  return { status: 'built' };
}
