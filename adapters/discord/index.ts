/** Discord: the worker's ports and the gateway's ingress; `discordPlatform` is its registry entry. */
export { discordPlatform } from './platform.ts';
export { discordConfigShape, type DiscordConfig } from './config.ts';
export { createDiscordPorts, type DiscordPorts, type DiscordPortsOptions } from './ports.ts';
export { startDiscordIngress, type DiscordIngress, type DiscordIngressOptions } from './ingress.ts';
export { registerDiscordCommands, DISCORD_COMMANDS } from './commands.ts';
export { DiscordSurface, DEFAULT_DISCORD_LIMITS, type DiscordSurfaceLimits } from './surface.ts';
export { DiscordConversationReader } from './context.ts';
export { DiscordApprovalSurface } from './approvals.ts';
export { InteractionTokenStore } from './interaction-tokens.ts';
export { DiscordRejectedError } from './errors.ts';
export { toDiscordText } from './formatting.ts';
export { customId, parseCustomId } from './components.ts';
