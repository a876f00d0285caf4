import type { RedisClient } from '../queue/redis-connection.ts';
import type { Config, PlatformConfigPart } from '../config.ts';
import type { Inbound } from '../ingress/inbound.ts';
import type { PlaceholderRequest } from '../ingress/paced-placeholders.ts';
import type { IngressServices } from '../ingress/services.ts';
import type { Logger } from '../observability/logger.ts';
import type { PlatformPorts } from '../worker/ports.ts';

/**
 * A chat platform as the rest of the bot sees it: one descriptor per adapter
 * (`adapters/<platform>/platform.ts`), listed once in `adapters/registry.ts`. Config, roles, doctor
 * and help iterate over the registry; nothing else names a platform.
 */
export interface PlatformDescriptor extends PlatformConfigPart {
  /**
   * Starts listening for the platform's events (gateway roles). Absent for a platform whose
   * requests come another way (the terminal's `ask`).
   */
  startIngress?(runtime: PlatformRuntime): Promise<StartedIngress>;
  /** What the worker needs to answer on this platform (surfaces, context, approvals). */
  createPorts?(runtime: PlatformRuntime): ClosablePorts;
  /**
   * What `ofox-bot doctor` checks when the platform is enabled: each check says what it tried and,
   * when it failed, the fix. Never rejects; `describeError` turns a failed request into one line.
   */
  doctorChecks(config: Config, describeError: (error: unknown) => string): Promise<DoctorCheck[]>;
  /**
   * The platform's own answer to its `help` command, worded after the commands it really registers;
   * '' lets the adapter answer itself. @defaultValue the platform-neutral text
   */
  chatHelpText?(): string;
  /**
   * The write budgets a placeholder for this request would spend: the ingress posts one only when
   * they have room to spare. @defaultValue unpaced (always posted)
   */
  placeholderRequest?(inbound: Inbound): PlaceholderRequest | undefined;
  /** Lines for `ofox-bot help`, one per command the platform adds or shapes (`  name   what it does`). */
  readonly commandHelp: readonly string[];
}

/** The slice of the core a platform uses: `Core` satisfies it. */
export interface PlatformRuntime {
  config: Config;
  log: Logger;
  /** The general-purpose connection (claims, tokens, stream states, answered threads). */
  redis: RedisClient;
  ingress: IngressServices;
}

export interface StartedIngress {
  stop(): Promise<void>;
  /** The platform connection is up (a gateway whose session died is not ready). @defaultValue always */
  ready?(): boolean;
}

export type ClosablePorts = PlatformPorts & { close(): Promise<void> };

/** One line of `ofox-bot doctor`: what was checked, what was tried (a URL), and the fix when it failed. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What the check reached for: a URL, a file, a command. */
  tried?: string;
  /** What to do about a failure. */
  fix?: string;
  /** Works, but something deserves attention (the check still passes). */
  warning?: string;
}
