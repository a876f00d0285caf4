import { z } from 'zod';
import type { ToolSpec } from '../llm/types.ts';

/** Per-tool policy; workspace config may override any of it. */
export interface ToolPolicy {
  /** On in a channel unless the channel's settings turn it off. @defaultValue true */
  enabledByDefault: boolean;
  /** @defaultValue 30_000 */
  timeoutMs: number;
  /** Longer output is cut and marked. @defaultValue 16_000 */
  outputCapChars: number;
  /** The asking user (or an admin) must press Approve before it runs. @defaultValue false */
  requiresApproval: boolean;
}

export const DEFAULT_TOOL_POLICY: ToolPolicy = {
  enabledByDefault: true,
  timeoutMs: 30_000,
  outputCapChars: 16_000,
  requiresApproval: false,
};

/** Who asked, where: what a tool may know about the job. */
export interface ToolContext {
  signal: AbortSignal;
  platform: string;
  workspaceId: string;
  channelId: string;
  userId: string;
  /** IANA time zone of the asker when known. */
  timeZone?: string;
  /** The answer's job and this tool call, for tools whose effects must happen once per call. */
  jobId?: string;
  callId?: string;
  /** The channel's image model (settings), when it chose one. */
  imageModel?: string;
  /** Uploads a file into the answer's thread; absent where the platform cannot. */
  upload?: (file: ToolUploadFile, signal: AbortSignal) => Promise<ToolUploadedFile>;
}

/** Mirrors `UploadFile` / `UploadedFile` of the worker's ports (tools do not import the worker). */
export interface ToolUploadFile {
  name: string;
  bytes: Buffer;
  mediaType: string;
  title?: string;
}

export interface ToolUploadedFile {
  id: string;
  name: string;
  url?: string;
}

/**
 * What a tool may return instead of bare text: the text the model reads, and a short name of what
 * it produced (an uploaded file's name), which the answer's tool line shows instead of the input.
 */
export interface ToolOutput {
  output: string;
  produced?: string;
}

/** Tool names both protocols accept. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export type ValidationResult = { ok: true; value: unknown } | { ok: false; error: string };

export interface Tool {
  /** Unique; MCP tools are `server__tool`. Must match ^[a-zA-Z0-9_-]{1,64}$ for both protocols. */
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the input object, sent to the model. */
  readonly inputSchema: Record<string, unknown>;
  readonly policy: ToolPolicy;
  /** Where it comes from, for listings: `built-in` or `mcp:<server>`. @defaultValue 'built-in' */
  readonly source?: string;
  validate(input: unknown): ValidationResult;
  /** Returns the text the model sees (or that and what it produced). Throwing means the tool failed; the model is told why. */
  run(input: unknown, context: ToolContext): Promise<string | ToolOutput>;
}

export function toolSpec(tool: Tool): ToolSpec {
  return { name: tool.name, description: tool.description, inputSchema: tool.inputSchema };
}

/** Builds a tool from a zod schema: the JSON Schema and validation come from one source. */
export function defineTool<Schema extends z.ZodType>(definition: {
  name: string;
  description: string;
  input: Schema;
  policy?: Partial<ToolPolicy>;
  source?: string;
  run(input: z.infer<Schema>, context: ToolContext): Promise<string | ToolOutput>;
}): Tool {
  const inputSchema = z.toJSONSchema(definition.input, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  delete inputSchema.$schema;
  return {
    name: definition.name,
    description: definition.description,
    inputSchema,
    policy: { ...DEFAULT_TOOL_POLICY, ...definition.policy },
    source: definition.source ?? 'built-in',
    validate(input) {
      const parsed = definition.input.safeParse(input);
      if (parsed.success) return { ok: true, value: parsed.data };
      return { ok: false, error: z.prettifyError(parsed.error) };
    },
    run: (input, context) => definition.run(input as z.infer<Schema>, context),
  };
}
