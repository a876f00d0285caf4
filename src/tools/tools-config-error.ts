/** The tools config file (OFOX_BOT_CONFIG) is missing, unreadable or invalid; lists every problem. */
export class ToolsConfigError extends Error {
  override name = 'ToolsConfigError';
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`Invalid tools config ${file}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.problems = problems;
  }
}
