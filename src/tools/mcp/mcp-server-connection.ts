import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../observability/logger.ts';
import type { McpServerConfig } from '../tools-config.ts';
import type { McpCallResult } from './flatten-result.ts';
import { McpServerUnavailableError } from './mcp-server-unavailable-error.ts';
import { McpToolError } from './mcp-tool-error.ts';

/** A tool as the server lists it (the part we use). */
export interface McpListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

export interface McpConnectionOptions {
  log: Logger;
  /** First reconnect delay; doubles per failed attempt. @defaultValue 250 */
  reconnectInitialDelayMs?: number;
  /** @defaultValue 30_000 */
  reconnectMaxDelayMs?: number;
  /** Initialize plus the first tools/list. @defaultValue 20_000 */
  connectTimeoutMs?: number;
  /** A call waits this long for a reconnect that is due soon, instead of failing at once. @defaultValue 5_000 */
  callWaitForReconnectMs?: number;
  /** @defaultValue { name: 'ofox-bot', version: '0.1.0' } */
  clientInfo?: { name: string; version: string };
  /** Called after every change of the tool list (connect, reconnect, list_changed). */
  onToolsChanged?: (tools: McpListedTool[]) => void;
}

export type McpConnectionState = 'idle' | 'connecting' | 'ready' | 'waiting' | 'closed';

export interface McpConnectionStatus {
  server: string;
  state: McpConnectionState;
  tools: number;
  lastError?: string;
  nextAttemptInMs?: number;
}

/** Up this long, a connection counts as healthy again and the reconnect backoff starts over. */
const STABLE_CONNECTION_MS = 30_000;

/** Beyond any sane tool timeout: runTool's AbortSignal is what really bounds a call. */
const CALL_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/**
 * One MCP server: connects, keeps its tool list cached (refreshed on `notifications/tools/list_changed`),
 * and when the transport dies — a crashed stdio child, an unreachable HTTP server — reconnects with
 * backoff in the background. Nothing here throws out of the worker; calls fail with a clear error.
 */
export class McpServerConnection {
  readonly config: McpServerConfig;
  readonly #options: Required<Omit<McpConnectionOptions, 'onToolsChanged'>> & Pick<McpConnectionOptions, 'onToolsChanged'>;
  #state: McpConnectionState = 'idle';
  #client: Client | undefined;
  #tools: McpListedTool[] = [];
  #failures = 0;
  #connectedAt = 0;
  #lastError: string | undefined;
  #connecting: Promise<boolean> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #nextAttemptAt: number | undefined;
  #pendingAttempt: Promise<boolean> | undefined;
  #cancelPendingAttempt: (() => void) | undefined;

  constructor(config: McpServerConfig, options: McpConnectionOptions) {
    this.config = config;
    this.#options = {
      reconnectInitialDelayMs: 250,
      reconnectMaxDelayMs: 30_000,
      connectTimeoutMs: 20_000,
      callWaitForReconnectMs: 5_000,
      clientInfo: { name: 'ofox-bot', version: '0.1.0' },
      ...options,
    };
  }

  get state(): McpConnectionState {
    return this.#state;
  }

  /** The last tool list seen; kept while reconnecting so the model still knows the tools exist. */
  tools(): readonly McpListedTool[] {
    return this.#tools;
  }

  status(): McpConnectionStatus {
    return {
      server: this.config.name,
      state: this.#state,
      tools: this.#tools.length,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      ...(this.#nextAttemptAt ? { nextAttemptInMs: Math.max(0, this.#nextAttemptAt - Date.now()) } : {}),
    };
  }

  /** Connects once; on failure a reconnect is scheduled. Resolves whether it is connected. */
  start(): Promise<boolean> {
    return this.#connectOnce();
  }

  /** Closes the client, which also ends a stdio child process. */
  async close(): Promise<void> {
    this.#state = 'closed';
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#cancelPendingAttempt?.();
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => {});
    await this.#connecting?.catch(() => {});
  }

  async callTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<McpCallResult> {
    const client = await this.#readyClient(signal);
    try {
      return (await client.callTool({ name, arguments: args }, undefined, { signal, timeout: CALL_TIMEOUT_MS })) as McpCallResult;
    } catch (error) {
      if (signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (isConnectionFailure(error)) {
        if (this.#client === client) this.#lost(`a call failed: ${message}`);
        throw new McpServerUnavailableError(
          `the MCP server "${this.config.name}" stopped during the call (${message}); it is reconnecting, so a later attempt may work`,
        );
      }
      throw new McpToolError(`the MCP server "${this.config.name}" refused the call: ${message}`);
    }
  }

  async #readyClient(signal: AbortSignal): Promise<Client> {
    if (this.#state === 'closed') throw new McpServerUnavailableError(`the MCP server "${this.config.name}" is shut down`);
    if (this.#client && this.#state === 'ready') return this.#client;
    const soon =
      this.#connecting ??
      (this.#pendingAttempt && (this.#nextAttemptAt ?? 0) - Date.now() <= this.#options.callWaitForReconnectMs ? this.#pendingAttempt : undefined);
    if (soon) await raceAbort(soon, signal);
    if (this.#client && this.#state === 'ready') return this.#client;
    const next = this.#nextAttemptAt ? ` Next reconnect attempt in ${Math.ceil(Math.max(0, this.#nextAttemptAt - Date.now()) / 1000)} s.` : '';
    throw new McpServerUnavailableError(
      `the MCP server "${this.config.name}" is unavailable${this.#lastError ? ` (${this.#lastError})` : ''}.${next}`,
    );
  }

  #connectOnce(): Promise<boolean> {
    if (this.#state === 'closed') return Promise.resolve(false);
    if (this.#state === 'ready') return Promise.resolve(true);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<boolean> {
    this.#state = 'connecting';
    const log = this.#options.log;
    const client = new Client(this.#options.clientInfo, { capabilities: {} });
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      if (this.#client !== client) return;
      try {
        this.#setTools(await listAllTools(client, this.#options.connectTimeoutMs));
        log.info({ server: this.config.name, tools: this.#tools.length }, 'MCP tool list changed; refreshed');
      } catch (error) {
        log.warn({ server: this.config.name, err: error }, 'MCP tool list refresh failed');
      }
    });
    client.onclose = () => {
      if (this.#client === client) this.#lost('the connection closed');
    };
    client.onerror = (error) => log.debug({ server: this.config.name, err: error }, 'MCP transport error');
    try {
      await client.connect(this.#createTransport(), { timeout: this.#options.connectTimeoutMs });
      const tools = await listAllTools(client, this.#options.connectTimeoutMs);
      if (this.#isClosed()) {
        await client.close().catch(() => {});
        return false;
      }
      this.#client = client;
      this.#state = 'ready';
      this.#connectedAt = Date.now();
      this.#lastError = undefined;
      this.#nextAttemptAt = undefined;
      this.#setTools(tools);
      log.info({ server: this.config.name, tools: tools.length }, 'MCP server connected');
      return true;
    } catch (error) {
      await client.close().catch(() => {});
      if (this.#isClosed()) return false;
      this.#lastError = `could not connect: ${error instanceof Error ? error.message : String(error)}`;
      log.warn({ server: this.config.name, err: error }, 'MCP server connection failed');
      this.#state = 'waiting';
      this.#scheduleReconnect();
      return false;
    }
  }

  /** Read through a method: `close()` can change the state while `#connect` awaits. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #lost(reason: string): void {
    if (this.#state === 'closed') return;
    const client = this.#client;
    this.#client = undefined;
    // Only a connection that stayed up a while resets the backoff: a server that dies right after
    // every start must not be restarted four times a second forever.
    if (Date.now() - this.#connectedAt >= STABLE_CONNECTION_MS) this.#failures = 0;
    // Closing makes sure a half-dead stdio child does not linger.
    void client?.close().catch(() => {});
    this.#lastError = reason;
    this.#state = 'waiting';
    this.#options.log.warn({ server: this.config.name, reason }, 'MCP server lost; reconnecting');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#state === 'closed' || this.#reconnectTimer) return;
    const { reconnectInitialDelayMs: initial, reconnectMaxDelayMs: max } = this.#options;
    const base = Math.min(max, initial * 2 ** this.#failures);
    // Jitter spreads many workers reconnecting to one server after it restarts.
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#failures += 1;
    this.#nextAttemptAt = Date.now() + delay;
    this.#pendingAttempt = new Promise<boolean>((resolve) => {
      this.#cancelPendingAttempt = () => resolve(false);
      this.#reconnectTimer = setTimeout(() => {
        this.#reconnectTimer = undefined;
        this.#pendingAttempt = undefined;
        this.#cancelPendingAttempt = undefined;
        resolve(this.#connectOnce());
      }, delay);
      this.#reconnectTimer.unref?.();
    });
  }

  #setTools(tools: McpListedTool[]): void {
    this.#tools = tools;
    this.#options.onToolsChanged?.(tools);
  }

  #createTransport(): Transport {
    const config = this.config;
    if (config.transport === 'http') {
      return new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers } });
    }
    const transport = new StdioClientTransport({
      command: config.command,
      args: config.args,
      env: config.env,
      ...(config.cwd ? { cwd: config.cwd } : {}),
      stderr: 'pipe',
    });
    // A server's stderr is its log: keep it, but in ours rather than on the worker's terminal.
    transport.stderr?.on('data', (chunk: Buffer) => {
      this.#options.log.debug({ server: config.name, stderr: chunk.toString('utf8').trimEnd() }, 'MCP server stderr');
    });
    return transport;
  }
}

async function listAllTools(client: Client, timeoutMs: number): Promise<McpListedTool[]> {
  const tools: McpListedTool[] = [];
  let cursor: string | undefined;
  // Bounded: a server that keeps returning cursors must not loop forever.
  for (let page = 0; page < 50; page++) {
    const result = await client.listTools(cursor ? { cursor } : undefined, { timeout: timeoutMs });
    for (const tool of result.tools) {
      tools.push({
        name: tool.name,
        ...(tool.title ? { title: tool.title } : {}),
        ...(tool.description ? { description: tool.description } : {}),
        inputSchema: tool.inputSchema as Record<string, unknown>,
      });
    }
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return tools;
}

/** The transport failed (as opposed to the server answering with an error). */
function isConnectionFailure(error: unknown): boolean {
  if (error instanceof McpError) return error.code === ErrorCode.ConnectionClosed;
  return true;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(undefined);
      },
    );
  });
}
