import * as registry from '../../adapters/registry.ts';
import { registerPlatformConfigs, type Config, type Role } from '../config.ts';
import type { PlatformDescriptor } from '../runtime/platform.ts';

/**
 * The composition root's view of the platform registry. Importing this module registers every
 * platform's config part, so `loadConfig` and friends know their variables.
 */
export const PLATFORMS: readonly PlatformDescriptor[] = Object.values(registry);

registerPlatformConfigs(PLATFORMS);

/** The platforms configured for a role (`start`, `gateway`, `worker`, ...). */
export function platformsFor(config: Config, role: Role, platforms: readonly PlatformDescriptor[] = PLATFORMS): PlatformDescriptor[] {
  return platforms.filter((platform) => platform.roles.includes(role) && platform.enabled(config));
}

/** `ofox-bot help` lines each platform adds, in registry order. */
export function platformUsageLines(platforms: readonly PlatformDescriptor[] = PLATFORMS): string[] {
  return platforms.flatMap((platform) => platform.commandHelp);
}

export function platformNamed(name: string, platforms: readonly PlatformDescriptor[] = PLATFORMS): PlatformDescriptor | undefined {
  return platforms.find((platform) => platform.name === name);
}
