import type { PlatformPorts } from '../../src/worker/ports.ts';
import { terminalConversation } from './context.ts';
import { TerminalSurface, type TerminalOutput } from './surface.ts';

export { TerminalSurface } from './surface.ts';
export { askInTerminal, TERMINAL_FAILED_TEXT } from './ingress.ts';
export { terminalPlatform } from './platform.ts';

/** Ports for `ofox-bot ask`: one surface drawing on the given output. */
export function createTerminalPorts(output: TerminalOutput): PlatformPorts & { surface: TerminalSurface } {
  const surface = new TerminalSurface(output);
  return {
    platform: 'terminal',
    surface,
    surfaceFor: () => surface,
    conversation: terminalConversation,
  };
}
