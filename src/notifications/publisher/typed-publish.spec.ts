import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const FILE = join(__dirname, '../../../test/types/typed-publish.test-d.ts');
const DIRECTIVE = '// @ts-expect-error';

/**
 * The compile-time checks of the typed publish, made visible in the suite: the file
 * `npm run typecheck` compiles, compiled here without its `@ts-expect-error` directives, has an
 * error on each line a directive stood above, and nowhere else.
 */
describe('typed publish, at compile time', () => {
  it('refuses each call marked @ts-expect-error, and only those', () => {
    const source = readFileSync(FILE, 'utf8');
    const lines = source.split('\n');
    const expected = lines.flatMap((line, index) =>
      line.trim().startsWith(DIRECTIVE) ? [index + 1] : [],
    );
    const stripped = lines
      .map((line) => (line.trim().startsWith(DIRECTIVE) ? '' : line))
      .join('\n');

    const parsed = ts.getParsedCommandLineOfConfigFile(
      join(__dirname, '../../../tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    if (!parsed) throw new Error('tsconfig.json could not be read');
    const host = ts.createCompilerHost(parsed.options);
    const readFile = host.readFile.bind(host);
    host.readFile = (name) => (name === FILE ? stripped : readFile(name));
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, language, ...rest) =>
      name === FILE
        ? ts.createSourceFile(name, stripped, language)
        : getSourceFile(name, language, ...rest);
    const program = ts.createProgram([FILE], parsed.options, host);
    const file = program.getSourceFile(FILE);
    if (!file) throw new Error(`${FILE} was not compiled`);
    const failing = ts
      .getPreEmitDiagnostics(program, file)
      .filter((diagnostic) => diagnostic.file === file && diagnostic.start !== undefined)
      .map((diagnostic) => file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1);

    expect(expected.length).toBeGreaterThanOrEqual(6);
    // The line after each directive fails; no other line does.
    expect([...new Set(failing)].sort((a, b) => a - b)).toEqual(expected.map((line) => line + 1));
  });
});
