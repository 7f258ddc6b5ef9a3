/** One line of the service's log, as pino writes it. */
export type LogLine = Record<string, unknown> & {
  /** The level's name: `info`, `warn`, `error`... */
  level?: string;
  msg?: string;
  context?: string;
};

/**
 * Parses what a spawned service printed on stdout: one JSON object per line (blank lines skipped).
 * Throws naming the first line that is not JSON, since every line the service writes must be.
 */
export function parseLogLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}
