/** The MCP server ran the tool and reported a failure (`isError: true`) or a protocol error. */
export class McpToolError extends Error {
  override name = 'McpToolError';
}
