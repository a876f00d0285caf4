import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ToolPolicyOverrides } from './tool-catalog.ts';
import type { ToolPolicy } from './tool.ts';
import { sanitizeNamePart } from './tool-name.ts';
import { ToolsConfigError } from './tools-config-error.ts';

/**
 * The workspace's tools config file (`ofox-bot.config.yaml` / `.json`, path in OFOX_BOT_CONFIG):
 * policy overrides per tool and the MCP servers to connect. Header, env and URL values may say
 * `${NAME}` (or `${NAME:-fallback}`) so secrets stay in the environment, not the file.
 */

const policySchema = z
  .object({
    enabledByDefault: z.boolean(),
    timeoutMs: z.number().int().min(100).max(3_600_000),
    outputCapChars: z.number().int().min(200).max(1_000_000),
    requiresApproval: z.boolean(),
  })
  .partial()
  .strict();

const common = {
  /** A server can stay in the file but off. */
  enabled: z.boolean().default(true),
  /** Applies to every tool of this server; `tools.<server>__<tool>` refines one. */
  policy: policySchema.default({}),
};

const stdioServerSchema = z
  .object({
    transport: z.literal('stdio'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().min(1).optional(),
    ...common,
  })
  .strict();

const httpServerSchema = z
  .object({
    transport: z.literal('http'),
    url: z.string().min(1),
    headers: z.record(z.string(), z.string()).default({}),
    ...common,
  })
  .strict();

/** `transport` may be left out: `command` means stdio, `url` means Streamable HTTP. */
const serverSchema = z.preprocess(
  (value) => {
    if (value && typeof value === 'object' && !Array.isArray(value) && !('transport' in value)) {
      if ('command' in value) return { ...value, transport: 'stdio' };
      if ('url' in value) return { ...value, transport: 'http' };
    }
    return value;
  },
  z.discriminatedUnion('transport', [stdioServerSchema, httpServerSchema], {
    error: () => 'each MCP server needs either `command` (stdio) or `url` (Streamable HTTP)',
  }),
);

export const toolsConfigFileSchema = z
  .object({
    /** Tool name (`calculator`, `github__create_issue`) → policy override. */
    tools: z.record(z.string().min(1), policySchema).default({}),
    mcpServers: z.record(z.string().min(1).max(64), serverSchema).default({}),
    /** Access rules, budgets and fairness: validated by `src/governance` (parseGovernanceConfig). */
    governance: z.unknown().optional(),
  })
  .strict();

interface ServerCommon {
  /** Sanitized; the prefix of its tools' names. */
  name: string;
  enabled: boolean;
  policy: Partial<ToolPolicy>;
}
export type McpServerConfig =
  | (ServerCommon & { transport: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string })
  | (ServerCommon & { transport: 'http'; url: string; headers: Record<string, string> });

export interface ToolsConfig {
  tools: ToolPolicyOverrides;
  mcpServers: McpServerConfig[];
  /** The file's `governance:` section as written; `parseGovernanceConfig` checks it. */
  governance?: unknown;
}

export const EMPTY_TOOLS_CONFIG: ToolsConfig = { tools: {}, mcpServers: [] };

/** Looked for in the working directory when OFOX_BOT_CONFIG is unset. */
export const DEFAULT_CONFIG_FILES = ['ofox-bot.config.yaml', 'ofox-bot.config.yml', 'ofox-bot.config.json'];

export interface LoadToolsConfigOptions {
  /** OFOX_BOT_CONFIG. When unset, the default file names are tried and none is fine. */
  path?: string;
  /** Where `${NAME}` references are looked up (main passes process.env). */
  env: Record<string, string | undefined>;
  /** @defaultValue process.cwd() */
  cwd?: string;
}

export async function loadToolsConfig(options: LoadToolsConfigOptions): Promise<ToolsConfig> {
  const cwd = options.cwd ?? process.cwd();
  let file: string;
  if (options.path) {
    file = resolve(cwd, options.path);
    if (!existsSync(file)) throw new ToolsConfigError(file, ['the file does not exist (check OFOX_BOT_CONFIG)']);
  } else {
    const found = DEFAULT_CONFIG_FILES.map((name) => resolve(cwd, name)).find((candidate) => existsSync(candidate));
    if (!found) return EMPTY_TOOLS_CONFIG;
    file = found;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ToolsConfigError(file, [`cannot read it: ${(error as Error).message}`]);
  }
  return parseToolsConfig(text, { file, env: options.env });
}

/** Parses and validates the text of a config file; `file`'s extension picks JSON or YAML. */
export function parseToolsConfig(text: string, options: { file: string; env: Record<string, string | undefined> }): ToolsConfig {
  const { file, env } = options;
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ToolsConfigError(file, [`not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`]);
  }
  const parsed = toolsConfigFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ToolsConfigError(
      file,
      parsed.error.issues.map((issue) => {
        // The missing discriminator is reported on the server itself, not on a `transport` key nobody wrote.
        const path = issue.message.startsWith('each MCP server') ? issue.path.slice(0, -1) : issue.path;
        return `${path.map(String).join('.') || '(top level)'}: ${issue.message}`;
      }),
    );
  }

  const problems: string[] = [];
  const servers: McpServerConfig[] = [];
  const seen = new Map<string, string>();
  for (const [rawName, server] of Object.entries(parsed.data.mcpServers)) {
    const name = sanitizeNamePart(rawName);
    if (name.includes('__')) problems.push(`mcpServers.${rawName}: a server name may not contain "__" (it separates server and tool)`);
    const clash = seen.get(name);
    if (clash !== undefined) problems.push(`mcpServers.${rawName}: becomes "${name}" as a tool prefix, the same as "${clash}"`);
    seen.set(name, rawName);
    const interpolate = (value: string, where: string) => interpolateEnv(value, env, `mcpServers.${rawName}.${where}`, problems);
    if (server.transport === 'stdio') {
      servers.push({
        name,
        transport: 'stdio',
        enabled: server.enabled,
        policy: server.policy,
        command: server.command,
        args: server.args,
        env: Object.fromEntries(Object.entries(server.env).map(([key, value]) => [key, interpolate(value, `env.${key}`)])),
        ...(server.cwd ? { cwd: resolve(file, '..', server.cwd) } : {}),
      });
    } else {
      const url = interpolate(server.url, 'url');
      if (url !== '' && !/^https?:\/\//i.test(url)) problems.push(`mcpServers.${rawName}.url: must be an http(s) URL`);
      servers.push({
        name,
        transport: 'http',
        enabled: server.enabled,
        policy: server.policy,
        url,
        headers: Object.fromEntries(Object.entries(server.headers).map(([key, value]) => [key, interpolate(value, `headers.${key}`)])),
      });
    }
  }
  if (problems.length > 0) throw new ToolsConfigError(file, problems);
  return { tools: parsed.data.tools, mcpServers: servers, ...(parsed.data.governance !== undefined ? { governance: parsed.data.governance } : {}) };
}

/** `${NAME}` → env value; `${NAME:-fallback}` when unset; `$${` stays a literal `${`. */
export function interpolateEnv(value: string, env: Record<string, string | undefined>, where: string, problems: string[]): string {
  return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (match, name: string, fallback: string | undefined) => {
    if (match.startsWith('$$')) return match.slice(1);
    const found = env[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    problems.push(`${where}: environment variable ${name} is not set`);
    return '';
  });
}
