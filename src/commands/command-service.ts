import type { CommandInvocation, CommandReply } from './types.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { helpCommand } from './help-command.ts';
import { cachedModelList } from './model-catalog.ts';
import { modelCommand } from './model-command.ts';
import { personaCommand } from './persona-command.ts';
import { whisper } from './replies.ts';
import { toolsCommand } from './tools-command.ts';
import { usageCommand } from './usage-command.ts';

export interface CommandService {
  runCommand(command: CommandInvocation): Promise<CommandReply>;
}

/** The `model`, `persona`, `tools`, `usage` and `help` commands, for every platform. Never throws. */
export function createCommandService(deps: CommandServiceDeps): CommandService {
  const models = cachedModelList(deps.listModels, deps.modelCacheMs ?? 300_000, deps.now ?? Date.now);
  return {
    async runCommand(command) {
      try {
        switch (command.name) {
          case 'model':
            return await modelCommand(command, deps, models);
          case 'persona':
            return await personaCommand(command, deps);
          case 'tools':
            return await toolsCommand(command, deps);
          case 'usage':
            return await usageCommand(command, deps);
          case 'help':
            return helpCommand();
          default:
            return whisper(`Unknown command \`${String((command as { name: unknown }).name)}\`. Try \`help\`.`);
        }
      } catch (error) {
        // Storage being down must not leave the person staring at a spinner.
        return whisper(`Sorry, \`${command.name}\` failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}
