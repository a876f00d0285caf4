export {
  defineTool,
  toolSpec,
  DEFAULT_TOOL_POLICY,
  TOOL_NAME_PATTERN,
  type Tool,
  type ToolContext,
  type ToolPolicy,
  type ValidationResult,
} from './tool.ts';
export { ToolCatalog, type ToolCatalogOptions, type ToolPolicyOverrides, type ToolSource } from './tool-catalog.ts';
export { runTool, runToolCall, capOutput, type RunToolOptions, type ToolRunResult, type ToolRunStatus } from './run-tool.ts';
export { namespacedToolName, sanitizeNamePart } from './tool-name.ts';
export {
  loadToolsConfig,
  parseToolsConfig,
  interpolateEnv,
  toolsConfigFileSchema,
  DEFAULT_CONFIG_FILES,
  EMPTY_TOOLS_CONFIG,
  type LoadToolsConfigOptions,
  type McpServerConfig,
  type ToolsConfig,
} from './tools-config.ts';
export { ToolsConfigError } from './tools-config-error.ts';
export { createTools, type CreateToolsOptions, type ToolRuntime } from './create-tools.ts';
export * from './builtins/index.ts';
export * from './mcp/index.ts';
export * from './approval/index.ts';
