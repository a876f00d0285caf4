export { createCommandService, type CommandService } from './command-service.ts';
export type { CommandServiceDeps, CommandGovernance } from './command-deps.ts';
export { parseArgs, type ParsedArgs } from './command-args.ts';
export { rankByCloseness, describeChoices, editDistance } from './closest-matches.ts';
export { suggest, MAX_SUGGESTIONS, type CompletionField } from './command-completions.ts';
export { formatTotals } from './usage-command.ts';
export { COMMAND_NAMES, type CommandName, type CommandInvocation, type CommandReply } from './types.ts';
