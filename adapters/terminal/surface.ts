import { Marked, type MarkedExtension } from 'marked';
import { markedTerminal } from 'marked-terminal';
import type { MessageOptions, MessageRef, Surface, SurfaceLimits, ToolStatus } from '../../src/render/surface.ts';
import { formatDuration } from '../../src/render/status-text.ts';

export interface TerminalOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface TerminalSurfaceOptions {
  /** Spinner frame interval. @defaultValue 100 */
  spinnerIntervalMs?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

/** What the footer says once the answer is done. */
export interface AnswerStats {
  model: string;
  inputTokens?: number;
  outputTokens?: number;
  firstTokenMs?: number;
  totalMs: number;
}

export const TERMINAL_SURFACE_DEFAULTS = { spinnerIntervalMs: 100 } as const;

/** Braille spinner frames, as most terminal spinners draw them; a dependency for ten characters is not worth it. */
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
const dim = (text: string) => `\x1b[2m${text}\x1b[22m`;

/**
 * Draws `ofox-bot ask` in the terminal: a spinner with the elapsed time until the first token, the
 * tool calls with their arguments and results, the answer as rendered markdown, and a footer with
 * model, tokens and timings. On a terminal each frame replaces the last (the cursor moves back
 * over what was drawn); in a pipe only the final answer is written, as plain markdown.
 */
export class TerminalSurface implements Surface {
  // The renderer hands tool progress over as data (not as lines in the text), so they can be drawn with their results.
  readonly limits: SurfaceLimits = { maxChars: 100_000, minEditIntervalMs: 50, nativeToolStatus: true };
  readonly channelKey = 'terminal';
  private readonly output: TerminalOutput;
  private readonly now: () => number;
  private readonly spinnerIntervalMs: number;
  private readonly markdown: Marked;
  private drawnRows = 0;
  private nextId = 1;
  private readonly finals: string[] = [];
  private text = '';
  private tools: ToolStatus[] = [];
  private readonly results: Array<{ name: string; result: string }> = [];
  private startedAt: number | undefined;
  private firstTokenAt: number | undefined;
  private spinner: ReturnType<typeof setInterval> | undefined;
  private frame = 0;

  constructor(output: TerminalOutput, options: TerminalSurfaceOptions = {}) {
    this.output = output;
    this.now = options.now ?? Date.now;
    this.spinnerIntervalMs = options.spinnerIntervalMs ?? TERMINAL_SURFACE_DEFAULTS.spinnerIntervalMs;
    const width = Math.max(40, Math.min(output.columns && output.columns > 0 ? output.columns : 80, 120));
    this.markdown = new Marked(markedTerminal({ width, reflowText: true, tab: 2 }) as MarkedExtension, {
      renderer: {
        // marked-terminal renders a tight list item's text token from its raw source, so `**bold**`
        // in a bullet would show as typed; render its inline tokens instead (false: the default).
        text(token) {
          return 'tokens' in token && token.tokens ? this.parser.parseInline(token.tokens) : false;
        },
      },
    });
  }

  /** The final text of every message, in order. */
  get finalTexts(): readonly string[] {
    return this.finals;
  }

  /** Milliseconds from `start` to the first answer text, once it came. */
  get firstTokenMs(): number | undefined {
    return this.firstTokenAt === undefined || this.startedAt === undefined ? undefined : this.firstTokenAt - this.startedAt;
  }

  /** Starts the clock and, on a terminal, the spinner. */
  start(): void {
    this.startedAt = this.now();
    if (!this.output.isTTY) return;
    this.spinner = setInterval(() => {
      this.frame += 1;
      this.redraw();
    }, this.spinnerIntervalMs);
    this.spinner.unref?.();
    this.redraw();
  }

  /** A tool's result, shown under its call (in call order per tool name). */
  toolResult(name: string, result: string): void {
    this.results.push({ name, result });
    this.redraw();
  }

  async create(text: string, options?: MessageOptions): Promise<MessageRef> {
    const ref = { id: String(this.nextId++), channelId: 'terminal' };
    // The first message is the placeholder ask posts itself; its text is not the answer.
    if (ref.id !== '1') this.update(text, options);
    return ref;
  }

  async edit(_ref: MessageRef, text: string, options?: MessageOptions): Promise<void> {
    this.update(text, options);
  }

  /** The last frame, then the footer; stops the spinner. */
  finish(stats: AnswerStats): void {
    this.stopSpinner();
    if (!this.output.isTTY) return;
    this.redraw();
    this.drawnRows = 0;
    this.output.write(`${dim(footerText(stats))}\n`);
  }

  private update(text: string, options?: MessageOptions): void {
    this.text = text;
    if (options?.tools) this.tools = options.tools;
    if (this.firstTokenAt === undefined && answerText(text) !== '') {
      this.firstTokenAt = this.now();
      this.stopSpinner();
    }
    if (options?.final) this.finals.push(text);
    if (!this.output.isTTY) {
      if (options?.final) this.output.write(`${text}\n`);
      return;
    }
    this.redraw();
  }

  private stopSpinner(): void {
    if (this.spinner) clearInterval(this.spinner);
    this.spinner = undefined;
  }

  private redraw(): void {
    if (!this.output.isTTY) return;
    const frame = this.compose();
    const erase = this.drawnRows > 0 ? `\x1b[${this.drawnRows}F\x1b[J` : '';
    this.output.write(`${erase}${frame}\n`);
    this.drawnRows = this.rowsOf(frame);
  }

  private compose(): string {
    const parts: string[] = [];
    const seen = new Map<string, number>();
    for (const tool of this.tools) {
      const index = seen.get(tool.name) ?? 0;
      seen.set(tool.name, index + 1);
      const result = this.results.filter((entry) => entry.name === tool.name)[index]?.result;
      parts.push(toolLine(tool, result));
    }
    const body = this.text.trim() ? this.render(this.text) : '';
    if (body) parts.push(body);
    if (this.spinner && this.startedAt !== undefined) {
      const elapsed = formatDuration(this.now() - this.startedAt);
      parts.push(`${SPINNER[this.frame % SPINNER.length]} ${this.tools.some((tool) => tool.state === 'running') ? 'running tools' : 'thinking'}… ${dim(elapsed)}`);
    }
    return parts.join('\n');
  }

  private render(markdown: string): string {
    try {
      return (this.markdown.parse(markdown) as string).replace(/\n+$/, '');
    } catch {
      return markdown;
    }
  }

  private rowsOf(frame: string): number {
    // A pseudo-terminal without a size reports 0 columns.
    const width = this.output.columns && this.output.columns > 0 ? this.output.columns : 80;
    return frame.split('\n').reduce((rows, line) => rows + Math.max(1, Math.ceil([...line.replace(ANSI, '')].length / width)), 0);
  }
}

/** The answer without the renderer's italic notice and footer lines (`_queued…_`, `_↻ regenerated…_`). */
function answerText(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^_.*_$/.test(line.trim()))
    .join('\n')
    .trim();
}

const ICONS: Record<ToolStatus['state'], string> = { running: '⏳', done: '✔', failed: '✘', 'awaiting-approval': '✋' };

function toolLine(tool: ToolStatus, result: string | undefined): string {
  const timing = tool.durationMs === undefined ? '' : ` ${dim(formatDuration(tool.durationMs))}`;
  const head = `${ICONS[tool.state]} ${tool.name}(${tool.summary})${timing}`;
  if (tool.state === 'failed') return `${head}\n  ${dim(`→ ${oneLine(tool.error ?? 'failed', 200)}`)}`;
  if (result === undefined) return head;
  return `${head}\n  ${dim(`→ ${oneLine(result, 200)}`)}`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function footerText(stats: AnswerStats): string {
  const parts = [stats.model];
  if (stats.inputTokens !== undefined || stats.outputTokens !== undefined) parts.push(`${stats.inputTokens ?? 0} in / ${stats.outputTokens ?? 0} out tokens`);
  if (stats.firstTokenMs !== undefined) parts.push(`first token ${formatDuration(stats.firstTokenMs)}`);
  parts.push(`total ${formatDuration(stats.totalMs)}`);
  return parts.join(' · ');
}
