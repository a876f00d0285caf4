import type { CommandInvocation, CommandReply } from './types.ts';
import { accessCommand } from './access-command.ts';
import { auditCommand } from './audit-command.ts';
import { budgetCommand } from './budget-command.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { suggest, type CompletionField } from './command-completions.ts';
import { helpCommand } from './help-command.ts';
import { imageModelCommand, imageModelIds } from './image-model-command.ts';
import { cachedModelList } from './model-catalog.ts';
import { modelCommand } from './model-command.ts';
import { personaCommand } from './persona-command.ts';
import { reasoningCommand } from './reasoning-command.ts';
import { whisper } from './replies.ts';
import { toolsCommand } from './tools-command.ts';
import { usageCommand } from './usage-command.ts';

export interface CommandService {
  runCommand(command: CommandInvocation): Promise<CommandReply>;
  /** Autocomplete: model ids or tool names closest to what was typed; empty when the list is unavailable. */
  complete(field: CompletionField, query: string): Promise<string[]>;
}

/** The `model`, `image-model`, `persona`, `reasoning`, `tools`, `usage`, `budget`, `access`, `audit` and `help` commands, for every platform. Never throws. */
export function createCommandService(deps: CommandServiceDeps): CommandService {
  const models = cachedModelList(deps.listModels, deps.modelCacheMs ?? 300_000, deps.now ?? Date.now);
  return {
    async runCommand(command) {
      try {
        switch (command.name) {
          case 'model':
            return await modelCommand(command, deps, models);
          case 'image-model':
            return await imageModelCommand(command, deps, models);
          case 'persona':
            return await personaCommand(command, deps);
          case 'reasoning':
            return await reasoningCommand(command, deps);
          case 'tools':
            return await toolsCommand(command, deps);
          case 'usage':
            return await usageCommand(command, deps);
          case 'budget':
            return await budgetCommand(command, deps);
          case 'access':
            return await accessCommand(command, deps);
          case 'audit':
            return await auditCommand(command, deps);
          case 'help':
            return helpCommand(deps.helpFor?.(command.platform));
          default:
            return whisper(`Unknown command \`${String((command as { name: unknown }).name)}\`. Try \`help\`.`);
        }
      } catch (error) {
        // Storage being down must not leave the person staring at a spinner.
        return whisper(`Sorry, \`${command.name}\` failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    async complete(field, query) {
      if (field === 'tool') return suggest(query, deps.catalog.list().map((tool) => tool.name));
      const list = await models();
      if (!list.ok) return [];
      return suggest(query, field === 'image-model' ? imageModelIds(list) : list.ids);
    },
  };
}
