import type { PlatformDescriptor } from '../../src/runtime/platform.ts';

/**
 * The terminal in the platform registry: no variables, no gateway; `ofox-bot ask` builds its ports
 * with the output to draw on (`createTerminalPorts`) and sends the question through the same
 * ingress pipeline as every platform (`askInTerminal`).
 */
export const terminalPlatform: PlatformDescriptor = {
  name: 'terminal',
  configShape: {},
  secretKeys: [],
  roles: ['ask'],
  enabled: () => true,
  configProblems: () => [],
  doctorChecks: async () => [],
  commandHelp: ['  ask "question"      try the whole pipeline in this terminal'],
};
