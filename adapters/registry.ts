/**
 * Every platform the bot can speak, one line each: a new platform is a folder under `adapters/`
 * whose `platform.ts` exports a `PlatformDescriptor`, and one line here. Export nothing else from
 * this file: `src/cli/platforms.ts` takes every export as a platform.
 */
export { discordPlatform } from './discord/platform.ts';
export { slackPlatform } from './slack/platform.ts';
export { terminalPlatform } from './terminal/platform.ts';
