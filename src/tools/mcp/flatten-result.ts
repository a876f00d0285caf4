/**
 * Turns an MCP `tools/call` result into the one string the model sees. Binary content is named,
 * not inlined: a base64 image would only burn tokens.
 */

interface ContentItem {
  type?: string;
  text?: string;
  mimeType?: string;
  uri?: string;
  name?: string;
  resource?: { uri?: string; mimeType?: string; text?: string; blob?: string };
}

export interface McpCallResult {
  content?: unknown;
  structuredContent?: unknown;
  /** Servers from before the content array return this instead. */
  toolResult?: unknown;
  isError?: boolean;
}

export function flattenToolResult(result: McpCallResult): { text: string; isError: boolean } {
  const parts: string[] = [];
  const items = Array.isArray(result.content) ? (result.content as ContentItem[]) : [];
  for (const item of items) parts.push(flattenItem(item));
  if (parts.length === 0 && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent, null, 2));
  if (parts.length === 0 && result.toolResult !== undefined) {
    parts.push(typeof result.toolResult === 'string' ? result.toolResult : JSON.stringify(result.toolResult, null, 2));
  }
  return { text: parts.join('\n'), isError: result.isError === true };
}

function flattenItem(item: ContentItem): string {
  switch (item.type) {
    case 'text':
      return item.text ?? '';
    case 'image':
      return '[image]';
    case 'audio':
      return '[audio]';
    case 'resource': {
      const resource = item.resource ?? {};
      if (typeof resource.text === 'string') return resource.text;
      return `[resource ${resource.uri ?? ''}${resource.mimeType ? ` (${resource.mimeType})` : ''}]`;
    }
    case 'resource_link':
      return `[resource link ${item.name ? `${item.name}: ` : ''}${item.uri ?? ''}]`;
    default:
      return `[${item.type ?? 'unknown'} content]`;
  }
}
