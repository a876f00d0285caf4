import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { builtinTools, type BuiltinToolsOptions } from './builtins/index.ts';
import { McpToolSource, type McpToolSourceOptions } from './mcp/index.ts';
import { ToolCatalog } from './tool-catalog.ts';
import { loadToolsConfig, type ToolsConfig } from './tools-config.ts';

export interface CreateToolsOptions {
  config: Pick<Config, 'OFOX_BOT_CONFIG' | 'FETCH_URL_ALLOWLIST'>;
  /** For `${NAME}` references in the tools config file (main passes process.env). */
  env: Record<string, string | undefined>;
  log?: Logger;
  /** Where a relative OFOX_BOT_CONFIG and the default file names are looked up. @defaultValue process.cwd() */
  cwd?: string;
  builtins?: BuiltinToolsOptions;
  mcp?: Omit<McpToolSourceOptions, 'log'>;
}

export interface ToolRuntime {
  catalog: ToolCatalog;
  mcp: McpToolSource;
  toolsConfig: ToolsConfig;
  /** Connects the MCP servers; resolves when each has connected or failed once (failed ones keep retrying). */
  start(): Promise<void>;
  /** Disconnects MCP servers and ends their child processes. */
  close(): Promise<void>;
}

/** What a worker needs for tools, wired from the config: built-ins first, then MCP servers. */
export async function createTools(options: CreateToolsOptions): Promise<ToolRuntime> {
  const toolsConfig = await loadToolsConfig({
    ...(options.config.OFOX_BOT_CONFIG ? { path: options.config.OFOX_BOT_CONFIG } : {}),
    env: options.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const builtins = builtinTools({
    ...options.builtins,
    fetchUrl: { allowlist: options.config.FETCH_URL_ALLOWLIST, ...options.builtins?.fetchUrl },
  });
  const mcp = new McpToolSource(toolsConfig.mcpServers, { ...options.mcp, ...(options.log ? { log: options.log } : {}) });
  const catalog = new ToolCatalog({ sources: [builtins, mcp], overrides: toolsConfig.tools });
  return { catalog, mcp, toolsConfig, start: () => mcp.start(), close: () => mcp.close() };
}
