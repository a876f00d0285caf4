import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType } from '@modelcontextprotocol/sdk/validation/types.js';
import type { Logger } from '../../observability/logger.ts';
import { silentLogger } from '../../observability/logger.ts';
import type { ToolSource } from '../tool-catalog.ts';
import { DEFAULT_TOOL_POLICY, type Tool, type ValidationResult } from '../tool.ts';
import { namespacedToolName } from '../tool-name.ts';
import type { McpServerConfig } from '../tools-config.ts';
import { flattenToolResult } from './flatten-result.ts';
import { McpServerConnection, type McpConnectionOptions, type McpConnectionStatus, type McpListedTool } from './mcp-server-connection.ts';
import { McpToolError } from './mcp-tool-error.ts';

export interface McpToolSourceOptions extends Partial<Omit<McpConnectionOptions, 'log' | 'onToolsChanged'>> {
  /** @defaultValue a silent logger */
  log?: Logger;
}

/** Longer descriptions are cut: every listed tool costs prompt tokens on every request. */
const MAX_DESCRIPTION_CHARS = 1_000;

/**
 * Every configured MCP server's tools, namespaced `server__tool`. `start()` connects them all in
 * parallel at worker start; one server being down never stops the others or the worker.
 */
export class McpToolSource implements ToolSource {
  readonly #connections: McpServerConnection[];
  readonly #toolsByServer = new Map<string, Tool[]>();
  readonly #validator = new AjvJsonSchemaValidator();

  constructor(servers: readonly McpServerConfig[], options: McpToolSourceOptions = {}) {
    const log = options.log ?? silentLogger();
    this.#connections = servers
      .filter((server) => server.enabled)
      .map((server) => {
        const connection: McpServerConnection = new McpServerConnection(server, {
          ...options,
          log,
          onToolsChanged: (listed) => this.#toolsByServer.set(server.name, this.#toTools(connection, listed)),
        });
        return connection;
      });
  }

  /** Resolves when every server has connected or failed its first attempt (failed ones keep retrying). */
  async start(): Promise<void> {
    await Promise.all(this.#connections.map((connection) => connection.start()));
  }

  async close(): Promise<void> {
    await Promise.all(this.#connections.map((connection) => connection.close()));
  }

  tools(): Tool[] {
    return [...this.#toolsByServer.values()].flat();
  }

  status(): McpConnectionStatus[] {
    return this.#connections.map((connection) => connection.status());
  }

  #toTools(connection: McpServerConnection, listed: readonly McpListedTool[]): Tool[] {
    const server = connection.config;
    const used = new Set<string>();
    const tools: Tool[] = [];
    for (const remote of listed) {
      let name = namespacedToolName(server.name, remote.name);
      // Two remote names that sanitize alike ("a.b" and "a_b") still get distinct names.
      for (let suffix = 2; used.has(name); suffix++) name = `${name.slice(0, 60)}_${suffix}`;
      used.add(name);
      // `$schema` is noise to the model (and defineTool drops it too); Ajv gets the schema without it.
      const { $schema: _draft, ...schema } = remote.inputSchema;
      const inputSchema = { ...schema, type: 'object' };
      const validate = this.#compile(inputSchema);
      const description = (remote.description ?? remote.title ?? `${remote.name} from ${server.name}`).slice(0, MAX_DESCRIPTION_CHARS);
      tools.push({
        name,
        description,
        inputSchema,
        source: `mcp:${server.name}`,
        policy: { ...DEFAULT_TOOL_POLICY, ...server.policy },
        validate: (input) => validate(input ?? {}),
        async run(input, context) {
          const result = await connection.callTool(remote.name, (input ?? {}) as Record<string, unknown>, context.signal);
          const flat = flattenToolResult(result);
          if (flat.isError) throw new McpToolError(flat.text || `${remote.name} reported an error without details`);
          return flat.text;
        },
      });
    }
    return tools;
  }

  #compile(schema: Record<string, unknown>): (input: unknown) => ValidationResult {
    try {
      const check = this.#validator.getValidator<unknown>(schema as JsonSchemaType);
      return (input) => {
        const result = check(input);
        return result.valid ? { ok: true, value: result.data } : { ok: false, error: result.errorMessage };
      };
    } catch {
      // A schema Ajv cannot compile is the server's problem; it validates the call itself.
      return (input) =>
        input !== null && typeof input === 'object' && !Array.isArray(input)
          ? { ok: true, value: input }
          : { ok: false, error: 'the arguments must be a JSON object' };
    }
  }
}
