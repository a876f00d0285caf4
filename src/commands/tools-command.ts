import type { CommandInvocation, CommandReply } from './types.ts';
import type { SettingsLevel, SettingsScope } from '../settings/index.ts';
import type { Tool } from '../tools/tool.ts';
import { describeChoices } from './closest-matches.ts';
import { updateSettingsAudited } from './audited-settings.ts';
import { parseArgs } from './command-args.ts';
import type { CommandServiceDeps } from './command-deps.ts';
import { adminOnly, announce, levelName, whisper } from './replies.ts';

const ACTIONS: Record<string, boolean | null> = { enable: true, on: true, disable: false, off: false, reset: null, inherit: null };

export async function toolsCommand(command: CommandInvocation, deps: CommandServiceDeps): Promise<CommandReply> {
  const scope: SettingsScope = command;
  const { level, words } = parseArgs(command.args);
  const [action, ...names] = words;

  if (action === undefined || action.toLowerCase() === 'list') return listTools(scope, level, deps);
  const change = ACTIONS[action.toLowerCase()];
  if (change === undefined) return whisper('Use `tools`, `tools enable <name>`, `tools disable <name>` or `tools reset <name>`.');
  if (names.length === 0) return whisper(`Name the tool: \`tools ${action.toLowerCase()} <name>\`.`);
  if (!command.isAdmin) return adminOnly('which tools are on');

  const all = deps.catalog.list();
  const known = new Set(all.map((tool) => tool.name));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    const first = unknown[0] ?? '';
    return whisper(`Unknown tool${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `\`${name}\``).join(', ')}. Available: ${describeChoices(first, [...known])}.`);
  }

  await updateSettingsAudited(command, deps, level, { tools: Object.fromEntries(names.map((name) => [name, change])) });
  const verb = change === true ? 'enabled' : change === false ? 'disabled' : 'reset to the default';
  const listed = names.map((name) => `\`${name}\``).join(', ');
  let text = `${listed} ${names.length > 1 ? 'are' : 'is'} now ${verb} for ${levelName(level)}.`;
  if (level === 'workspace') {
    const channel = await deps.settings.get(scope, 'channel');
    const overridden = names.filter((name) => channel.tools?.[name] !== undefined);
    if (overridden.length > 0) text += `\nThis channel has its own setting for ${overridden.map((name) => `\`${name}\``).join(', ')}, which still applies here.`;
  }
  return announce(text);
}

async function listTools(scope: SettingsScope, level: SettingsLevel, deps: CommandServiceDeps): Promise<CommandReply> {
  const tools = deps.catalog.list();
  if (tools.length === 0) return whisper('No tools are configured.');
  const [channel, workspace] = await Promise.all([deps.settings.get(scope, 'channel'), deps.settings.get(scope, 'workspace')]);
  const lines = [`**Tools for ${levelName(level)}**`];
  for (const tool of tools) {
    const workspaceValue = workspace.tools?.[tool.name];
    const channelValue = level === 'channel' ? channel.tools?.[tool.name] : undefined;
    const on = channelValue ?? workspaceValue ?? tool.policy.enabledByDefault;
    const origin = channelValue !== undefined ? 'channel setting' : workspaceValue !== undefined ? 'workspace setting' : 'default';
    lines.push(`- ${on ? 'on ' : 'off'} \`${tool.name}\` — ${shortDescription(tool)} _(${describeTool(tool, origin)})_`);
  }
  lines.push('Admins change them with `tools enable <name>` / `tools disable <name>` / `tools reset <name>`; add `--workspace` for the whole workspace.');
  return whisper(lines.join('\n'));
}

function shortDescription(tool: Tool): string {
  const firstSentence = tool.description.split(/(?<=\.)\s/)[0] ?? tool.description;
  return firstSentence.length > 100 ? `${firstSentence.slice(0, 99)}…` : firstSentence;
}

function describeTool(tool: Tool, origin: string): string {
  const parts = [tool.source ?? 'built-in', origin];
  if (tool.policy.requiresApproval) parts.push('asks for approval');
  return parts.join(', ');
}
