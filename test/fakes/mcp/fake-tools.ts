import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/**
 * The tools both fake MCP servers offer. `crash` ends the process in the middle of a call (stdio
 * only); `add_tool` registers another tool, which makes the SDK send notifications/tools/list_changed.
 */
export function registerFakeTools(server: McpServer, options: { onCrash?: () => void; oddlyNamedTool?: boolean } = {}): void {
  server.registerTool('echo', { description: 'Echoes the text back.', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text: `echo: ${text}` }],
  }));

  server.registerTool('add', { description: 'Adds two numbers.', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));

  server.registerTool('slow', { description: 'Waits, then answers.', inputSchema: { ms: z.number().int().min(0) } }, async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { content: [{ type: 'text', text: `waited ${ms} ms` }] };
  });

  server.registerTool('fail', { description: 'Always reports an error.', inputSchema: {} }, async () => ({
    isError: true,
    content: [{ type: 'text', text: 'the fake tool failed on purpose' }],
  }));

  server.registerTool('mixed', { description: 'Text, an image and a resource.', inputSchema: {} }, async () => ({
    content: [
      { type: 'text', text: 'a picture:' },
      { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'file:///notes.txt', mimeType: 'text/plain', text: 'resource text' } },
    ],
  }));

  // The SDK warns (on stderr) about this name; only the stdio server, whose stderr is captured, offers it.
  if (options.oddlyNamedTool) server.registerTool('weird.name with spaces', { description: 'A name that must be sanitized.', inputSchema: {} }, async () => ({
    content: [{ type: 'text', text: 'sanitized ok' }],
  }));

  server.registerTool('crash', { description: 'Exits the server process mid-call.', inputSchema: {} }, async () => {
    options.onCrash?.();
    // Never answers: the process is gone before it could.
    return new Promise(() => {});
  });

  let added = 0;
  server.registerTool('add_tool', { description: 'Registers a new tool (list_changed).', inputSchema: { name: z.string() } }, async ({ name }) => {
    added += 1;
    server.registerTool(name, { description: `Added tool #${added}.`, inputSchema: {} }, async () => ({
      content: [{ type: 'text', text: `${name} works` }],
    }));
    return { content: [{ type: 'text', text: `added ${name}` }] };
  });
}
