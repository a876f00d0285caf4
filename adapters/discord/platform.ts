import type { PlatformDescriptor } from '../../src/runtime/platform.ts';
import { discordConfigProblems, discordConfigShape, discordConfigured, DISCORD_SECRET_KEYS } from './config.ts';
import { discordHelpText } from './commands.ts';
import { RateLimitObserver } from './rate-limit-observer.ts';
import { discordPlaceholderRequest } from './write-budgets.ts';
import { checkDiscord } from './doctor.ts';
import { startDiscordIngress } from './ingress.ts';
import { createDiscordPorts } from './ports.ts';

/** Discord in the platform registry: a gateway session for events, REST for the worker's writes. */
/** The documented 5 per 5 s per channel: the gateway learns no bucket of its own. */
const placeholderBudgets = new RateLimitObserver(undefined);

export const discordPlatform: PlatformDescriptor = {
  name: 'discord',
  configShape: discordConfigShape,
  secretKeys: DISCORD_SECRET_KEYS,
  keyVariable: 'DISCORD_TOKEN',
  roles: ['start', 'gateway', 'worker', 'register-commands'],
  enabled: discordConfigured,
  configProblems: discordConfigProblems,
  async startIngress({ config, ingress, log, redis }) {
    const discord = await startDiscordIngress(config, ingress, log, { redis });
    return { stop: () => discord.stop(), ready: () => discord.client.isReady() };
  },
  createPorts: ({ config, log, redis }) => createDiscordPorts(config, log, { redis }),
  doctorChecks: checkDiscord,
  chatHelpText: () => discordHelpText(),
  // A reply placeholder spends a token of the channel's message bucket: only with room for five first texts.
  placeholderRequest: (inbound) => discordPlaceholderRequest(placeholderBudgets, inbound.threadId ?? inbound.channelId),
  commandHelp: ['  register-commands   register Discord slash commands (DISCORD_GUILD_ID: one guild, at once)'],
};
