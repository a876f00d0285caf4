import { ConfigError } from '../config.ts';
import { describeConnectionError, isConnectionError } from '../observability/dependency-state.ts';
import { HealthPortError } from '../observability/health-server.ts';
import { EmbeddedRedisError, RedisServerMissingError } from '../runtime/embedded-redis.ts';
import { UserFacingError } from './user-facing-error.ts';

/**
 * Turns whatever stopped a command into one message a person can act on: which variable, what the
 * other side said, the fix. The roles throw the libraries' own errors (Bolt, discord.js, ioredis);
 * they are recognised here by their documented shapes (`code`, `data.error`), so no adapter needs
 * to know how main prints.
 */

export interface StartupFailure {
  message: string;
  exitCode: number;
}

const SLACK_AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type']);

export function describeStartupError(error: unknown, context: { redisUrl?: string } = {}): StartupFailure {
  if (error instanceof UserFacingError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ConfigError) return { message: error.message, exitCode: 2 };
  if (error instanceof HealthPortError || error instanceof RedisServerMissingError || error instanceof EmbeddedRedisError) return { message: error.message, exitCode: 1 };

  const shaped = error as { code?: unknown; data?: { error?: unknown }; stack?: unknown; message?: unknown } | undefined;
  const code = typeof shaped?.code === 'string' ? shaped.code : undefined;
  if (code === 'slack_webapi_platform_error' && typeof shaped?.data?.error === 'string' && SLACK_AUTH_ERRORS.has(shaped.data.error)) {
    const socketMode = typeof shaped.stack === 'string' && shaped.stack.includes('SocketModeClient');
    return {
      message: socketMode
        ? `SLACK_APP_TOKEN was refused by Slack: apps.connections.open answered "${shaped.data.error}". Create an app-level token with connections:write (Basic Information → App-Level Tokens) and set SLACK_APP_TOKEN to it (xapp-…).`
        : `SLACK_BOT_TOKEN was refused by Slack: auth.test answered "${shaped.data.error}". Copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page, and reinstall the app if it was revoked.`,
      exitCode: 1,
    };
  }
  // discord.js's REST (register-commands) reports a refused token as a DiscordAPIError with status 401.
  const status = (error as { status?: unknown } | undefined)?.status;
  if (code === 'TokenInvalid' || (error instanceof Error && error.name.startsWith('DiscordAPIError') && status === 401)) {
    return { message: 'DISCORD_TOKEN was refused by Discord (401 Unauthorized). Copy the token from the Developer Portal (your application → Bot → Reset Token).', exitCode: 1 };
  }
  if (code === 'DisallowedIntents') {
    return { message: 'Discord refused the gateway intents for DISCORD_TOKEN: turn on the Message Content intent (Developer Portal → your application → Bot → Privileged Gateway Intents).', exitCode: 1 };
  }
  if (isConnectionError(error)) {
    return { message: `Lost Redis${context.redisUrl ? ` at REDIS_URL=${context.redisUrl}` : ''} while starting (${describeConnectionError(error)}). Check that Redis is running and reachable, then start again.`, exitCode: 1 };
  }
  const message = error instanceof Error ? describeConnectionError(error) : String(error);
  return { message: `ofox-bot: ${message}`, exitCode: 1 };
}
