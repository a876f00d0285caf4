export { McpToolSource, type McpToolSourceOptions } from './mcp-tool-source.ts';
export {
  McpServerConnection,
  type McpConnectionOptions,
  type McpConnectionState,
  type McpConnectionStatus,
  type McpListedTool,
} from './mcp-server-connection.ts';
export { flattenToolResult, type McpCallResult } from './flatten-result.ts';
export { McpToolError } from './mcp-tool-error.ts';
export { McpServerUnavailableError } from './mcp-server-unavailable-error.ts';
