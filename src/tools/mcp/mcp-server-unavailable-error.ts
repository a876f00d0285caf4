/** The MCP server is not connected (down, crashed, reconnecting); the next attempt may work. */
export class McpServerUnavailableError extends Error {
  override name = 'McpServerUnavailableError';
}
