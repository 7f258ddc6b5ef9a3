/**
 * Thrown by `loadConfig` when one or more environment variables are invalid. It carries every
 * problem at once so an operator can fix the whole environment in one go.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /**
   * @param problems one line per problem, each starting with the variable's name
   */
  constructor(readonly problems: string[]) {
    super(['Invalid configuration:', ...problems.map((problem) => `  ${problem}`)].join('\n'));
  }
}
