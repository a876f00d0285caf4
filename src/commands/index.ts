export { createCommandService, type CommandService } from './command-service.ts';
export type { CommandServiceDeps } from './command-deps.ts';
export { parseArgs, type ParsedArgs } from './command-args.ts';
export { rankByCloseness, describeChoices, editDistance } from './closest-matches.ts';
export { formatTotals } from './usage-command.ts';
