/** A settings / tools / usage / governance / help command, as any platform's adapter hands it over. */
export interface CommandInvocation {
  platform: string;
  workspaceId: string;
  channelId: string;
  userId: string;
  /** Decided by the adapter from platform permissions (Manage Server, admin role, admin user list). */
  isAdmin: boolean;
  name: CommandName;
  /** Raw argument text after the subcommand, e.g. `openai/gpt-4o`, `clear`, `enable fetch_url`. */
  args: string;
}

export const COMMAND_NAMES = ['model', 'image-model', 'persona', 'reasoning', 'tools', 'usage', 'budget', 'access', 'audit', 'help'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface CommandReply {
  /** Markdown; the adapter converts it for its platform. */
  text: string;
  /** Only the invoker sees it. */
  ephemeral: boolean;
}
