import type { MessageOptions, MessageRef, Surface, SurfaceLimits } from '../../src/render/surface.ts';

export interface TerminalOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Renders the answer in place: each edit moves the cursor back over what the last one drew. A pipe
 * (not a TTY) gets only the final text of each message, so logs stay clean.
 */
export class TerminalSurface implements Surface {
  readonly limits: SurfaceLimits = { maxChars: 100_000, minEditIntervalMs: 50 };
  readonly channelKey = 'terminal';
  private readonly output: TerminalOutput;
  private drawnRows = 0;
  private nextId = 1;
  private readonly finals: string[] = [];

  constructor(output: TerminalOutput) {
    this.output = output;
  }

  /** The final text of every message, in order. */
  get finalTexts(): readonly string[] {
    return this.finals;
  }

  async create(text: string, options?: MessageOptions): Promise<MessageRef> {
    const ref = { id: String(this.nextId++), channelId: 'terminal' };
    this.drawnRows = 0;
    this.draw(text, options);
    return ref;
  }

  async edit(_ref: MessageRef, text: string, options?: MessageOptions): Promise<void> {
    this.draw(text, options);
  }

  private draw(text: string, options?: MessageOptions): void {
    if (!this.output.isTTY) {
      if (options?.final) {
        this.output.write(`${text}\n`);
        this.finals.push(text);
      }
      return;
    }
    const erase = this.drawnRows > 0 ? `\x1b[${this.drawnRows}F\x1b[J` : '';
    this.output.write(`${erase}${text}\n`);
    this.drawnRows = this.rowsOf(text);
    if (options?.final) {
      this.finals.push(text);
      this.drawnRows = 0;
    }
  }

  private rowsOf(text: string): number {
    const width = Math.max(20, this.output.columns ?? 80);
    return text.split('\n').reduce((rows, line) => rows + Math.max(1, Math.ceil([...line].length / width)), 0);
  }
}
