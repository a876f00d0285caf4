import type { AutocompleteInteraction } from 'discord.js';
import type { CompletionField } from '../../src/commands/command-completions.ts';
import type { Logger } from '../../src/observability/logger.ts';

/** Discord allows 25 choices of at most 100 characters each. */
const MAX_CHOICES = 25;
const MAX_CHOICE_CHARS = 100;

export type CompleteCommand = (field: CompletionField, query: string) => Promise<string[]>;

/** Which core list an autocompleted option draws from. */
function fieldOf(optionName: string): CompletionField | undefined {
  if (optionName === 'model' || optionName === 'name') return 'model';
  if (optionName === 'image_model') return 'image-model';
  if (optionName === 'tool') return 'tool';
  return undefined;
}

/**
 * Answers an autocomplete interaction with the core's suggestions, closest first. Discord gives
 * 3 s and shows nothing on failure, so a failing list answers with no choices rather than an error.
 */
export async function respondToAutocomplete(interaction: AutocompleteInteraction, complete: CompleteCommand, log: Logger): Promise<void> {
  const focused = interaction.options.getFocused(true);
  const field = fieldOf(focused.name);
  let names: string[] = [];
  if (field) {
    try {
      names = await complete(field, String(focused.value));
    } catch (error) {
      log.warn({ err: error, command: interaction.commandName, option: focused.name }, 'autocomplete suggestions unavailable');
    }
  }
  const choices = names
    .filter((name) => name.length <= MAX_CHOICE_CHARS)
    .slice(0, MAX_CHOICES)
    .map((name) => ({ name, value: name }));
  try {
    await interaction.respond(choices);
  } catch (error) {
    log.warn({ err: error, command: interaction.commandName }, 'autocomplete answer not delivered');
  }
}
