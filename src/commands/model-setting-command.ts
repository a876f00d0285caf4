import type { CommandInvocation, CommandReply } from './types.ts';
import { SettingsValidationError, type SettingsScope } from '../settings/index.ts';
import { describeChoices } from './closest-matches.ts';
import { updateSettingsAudited } from './audited-settings.ts';
import { parseArgs } from './command-args.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { MODEL_FORM, type ModelList } from './model-catalog.ts';
import { adminOnly, announce, levelName, whisper } from './replies.ts';

const CLEAR_WORDS = new Set(['clear', 'reset', 'default', 'inherit']);

type ListedModels = Extract<ModelList, { ok: true }>;

/** What sets the `model` and `image-model` commands apart: the setting, the words for it, the models it may name. */
export interface ModelSetting {
  key: 'model' | 'imageModel';
  /** The command as people type it: `model`, `image-model`. */
  command: string;
  /** `model`, `image model`. */
  noun: string;
  /** A model id for the replies' examples. */
  example: string;
  /** What the channel does with it, in the reply to a clear: `uses`, `draws with`. */
  verb: string;
  /** Said after the model on show, e.g. `, used by the \`image\` tool`; may be empty. */
  purpose: string;
  /** What the list of choices is headed: `Available`, `Image models`. */
  choicesLabel: string;
  /** The model when no level set one. */
  fallback(deps: CommandServiceDeps): string;
  /** The models it may be set to, from the fetched list. */
  choices(list: ListedModels): string[];
  /**
   * Checks a listed model against the list (throwing `SettingsValidationError`) and returns the id
   * to store; `refusal` finishes the reply to a model it turns down (`does not draw images`).
   */
  validate?: { check(id: string, list: ListedModels): string; refusal: string };
}

/**
 * A model setting of the channel: shown (with the list on `list`), set (admins, audited, checked
 * against the models OfoxAI lists, or only by form when the list is unreachable) or cleared.
 */
export async function modelSettingCommand(setting: ModelSetting, command: CommandInvocation, deps: CommandServiceDeps, models: () => Promise<ModelList>): Promise<CommandReply> {
  const scope: SettingsScope = command;
  const { level, words } = parseArgs(command.args);
  const [wanted, ...extra] = words;

  if (wanted === undefined || wanted.toLowerCase() === 'list') return showModelSetting(setting, scope, deps, models, wanted !== undefined);
  if (extra.length > 0) return whisper(`Give one ${setting.noun} id, e.g. \`${setting.command} ${setting.example}\`.`);
  if (!command.isAdmin) return adminOnly(`the ${setting.noun}`);

  if (CLEAR_WORDS.has(wanted.toLowerCase())) {
    await updateSettingsAudited(command, deps, level, { [setting.key]: null });
    const resolved = await deps.settings.resolve(scope);
    return announce(`The ${setting.noun} setting for ${levelName(level)} was cleared; this channel now ${setting.verb} \`${resolved[setting.key] ?? setting.fallback(deps)}\`.`);
  }

  const list = await models();
  let modelId = wanted;
  let note = '';
  if (list.ok) {
    const choices = setting.choices(list);
    const exact = list.ids.find((id) => id.toLowerCase() === wanted.toLowerCase());
    // "gpt-4o" is accepted when exactly one provider offers a model of that name.
    const byName = choices.filter((id) => id.slice(id.indexOf('/') + 1).toLowerCase() === wanted.toLowerCase());
    const match = exact ?? (byName.length === 1 ? byName[0] : undefined);
    if (!match) return whisper(`Unknown ${setting.noun} \`${wanted}\`. ${setting.choicesLabel}: ${describeChoices(wanted, choices)}.`);
    try {
      modelId = setting.validate ? setting.validate.check(match, list) : match;
    } catch (error) {
      if (error instanceof SettingsValidationError) return whisper(`\`${match}\` ${setting.validate?.refusal}. ${setting.choicesLabel}: ${describeChoices(wanted, choices)}.`);
      throw error;
    }
  } else {
    if (!MODEL_FORM.test(wanted)) {
      return whisper(`\`${wanted}\` doesn't look like a model id; use the form provider/name, e.g. \`${setting.example}\`.`);
    }
    note = `\n_The model list couldn't be checked right now (${list.error}), so the name was not verified._`;
  }

  try {
    await updateSettingsAudited(command, deps, level, { [setting.key]: modelId });
  } catch (error) {
    if (error instanceof SettingsValidationError) return whisper(error.message);
    throw error;
  }
  const resolved = await deps.settings.resolve(scope);
  const kept = resolved[setting.key];
  const shadowed =
    level === 'workspace' && kept !== modelId
      ? `\nThis channel keeps its own ${setting.noun}, \`${kept}\`; clear it with \`${setting.command} clear\` to follow the workspace.`
      : '';
  return announce(`${title(setting)} for ${levelName(level)} set to \`${modelId}\`.${shadowed}${note}`);
}

async function showModelSetting(setting: ModelSetting, scope: SettingsScope, deps: CommandServiceDeps, models: () => Promise<ModelList>, withList: boolean): Promise<CommandReply> {
  const [channel, workspace] = await Promise.all([deps.settings.get(scope, 'channel'), deps.settings.get(scope, 'workspace')]);
  const [own, shared] = [channel[setting.key], workspace[setting.key]];
  const effective = own ?? shared ?? setting.fallback(deps);
  const origin = own ? 'set for this channel' : shared ? 'the workspace setting' : "the bot's default";
  const lines = [`**${title(setting)}:** \`${effective}\` (${origin})${setting.purpose}.`];
  if (own && shared) lines.push(`Workspace setting: \`${shared}\`.`);
  if (withList) {
    const list = await models();
    lines.push(list.ok ? `${setting.choicesLabel}: ${describeChoices(effective, setting.choices(list), 40)}.` : `The model list couldn't be fetched right now (${list.error}).`);
  }
  lines.push(`Admins change it with \`${setting.command} <provider/name>\`, add \`--workspace\` for the whole workspace, or \`${setting.command} clear\` to inherit.`);
  return whisper(lines.join('\n'));
}

/** `Model`, `Image model`: the noun starting a sentence. */
function title(setting: ModelSetting): string {
  return setting.noun.charAt(0).toUpperCase() + setting.noun.slice(1);
}
