import type { ResolvedSettings } from '../settings/types.ts';
import type { Tool, ToolPolicy } from './tool.ts';

/** Something that offers tools; its list may change over time (an MCP server reconnecting, say). */
export interface ToolSource {
  tools(): readonly Tool[];
}

/** Workspace-level policy by tool name, from the config file's `tools:` section. */
export type ToolPolicyOverrides = Record<string, Partial<ToolPolicy>>;

export interface ToolCatalogOptions {
  /** Earlier sources win a name clash (built-ins first, so an MCP server cannot shadow them). */
  sources: ReadonlyArray<ToolSource | readonly Tool[]>;
  /** @defaultValue {} */
  overrides?: ToolPolicyOverrides;
}

/** Every tool the bot has, with the workspace's policy overrides applied. */
export class ToolCatalog {
  readonly #sources: ToolSource[];
  readonly #overrides: ToolPolicyOverrides;
  /** Wrapped tools are cached per original so repeated listings return the same objects. */
  readonly #wrapped = new WeakMap<Tool, Tool>();

  constructor(options: ToolCatalogOptions) {
    this.#sources = options.sources.map((source) => (isToolSource(source) ? source : fixedSource(source)));
    this.#overrides = options.overrides ?? {};
  }

  list(): Tool[] {
    const seen = new Set<string>();
    const tools: Tool[] = [];
    for (const source of this.#sources) {
      for (const tool of source.tools()) {
        if (seen.has(tool.name)) continue;
        seen.add(tool.name);
        tools.push(this.#withOverrides(tool));
      }
    }
    return tools;
  }

  get(name: string): Tool | undefined {
    return this.list().find((tool) => tool.name === name);
  }

  /** The tools on for a channel: its settings' toggles, else the policy's `enabledByDefault`. */
  enabledFor(resolved: ResolvedSettings): Tool[] {
    return this.list().filter((tool) => resolved.tools[tool.name] ?? tool.policy.enabledByDefault);
  }

  #withOverrides(tool: Tool): Tool {
    const override = this.#overrides[tool.name];
    if (!override || Object.keys(override).length === 0) return tool;
    let wrapped = this.#wrapped.get(tool);
    if (!wrapped) {
      wrapped = {
        name: tool.name,
        description: tool.description,
        inputSchema: tool.inputSchema,
        source: tool.source,
        policy: { ...tool.policy, ...override },
        validate: (input) => tool.validate(input),
        run: (input, context) => tool.run(input, context),
      };
      this.#wrapped.set(tool, wrapped);
    }
    return wrapped;
  }
}

function isToolSource(source: ToolSource | readonly Tool[]): source is ToolSource {
  return !Array.isArray(source);
}

function fixedSource(tools: readonly Tool[]): ToolSource {
  return { tools: () => tools };
}
