/**
 * What the fake Slack workspace holds: channels' messages (top level and thread replies), streams
 * being assembled, users, files. Tests read it to see what a person in Slack would see.
 */

export interface FakeTask {
  id: string;
  title: string;
  status: string;
  details?: string;
  output?: string;
}

export interface FakeFile {
  id: string;
  name: string;
  mimetype: string;
  content: Buffer;
  url_private: string;
  url_private_download: string;
  size: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  /** Parent ts when the message is a thread reply (the parent itself has thread_ts = ts once replied to). */
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  text: string;
  blocks?: Record<string, unknown>[];
  files?: FakeFile[];
  /** Set for messages created by chat.startStream. */
  streaming_state?: 'in_progress' | 'completed';
  /** Markdown assembled from markdown_text arguments and chunks, in order. */
  streamText: string;
  /** Task updates received while streaming, latest state per id. */
  tasks: Map<string, FakeTask>;
  planTitle?: string;
  /** Every chunk received while streaming (markdown, tasks, plans, blocks), in order. */
  chunks: Record<string, unknown>[];
  streamStartedAt?: number;
  edits: number;
  deleted: boolean;
}

export class FakeWorkspace {
  readonly messages = new Map<string, FakeMessage[]>();
  readonly users = new Map<string, { id: string; name: string; real_name: string; display_name: string; is_bot: boolean }>();
  readonly files = new Map<string, FakeFile>();
  readonly ephemerals: Array<{ channel: string; user: string; text: string; thread_ts?: string; blocks?: unknown }> = [];
  /** Assistant thread status / prompts / titles, keyed `channel:thread_ts`. */
  readonly assistantStatus = new Map<string, string[]>();
  readonly suggestedPrompts = new Map<string, unknown>();
  readonly titles = new Map<string, string>();
  private clock = 1_700_000_000;
  private sequence = 0;

  nextTs(): string {
    this.sequence += 1;
    return `${this.clock + Math.floor(this.sequence / 1000)}.${String(this.sequence % 1_000_000).padStart(6, '0')}`;
  }

  channelMessages(channel: string): FakeMessage[] {
    let list = this.messages.get(channel);
    if (!list) {
      list = [];
      this.messages.set(channel, list);
    }
    return list;
  }

  add(message: Partial<FakeMessage> & { channel: string; text?: string }): FakeMessage {
    const defined = Object.fromEntries(Object.entries(message).filter(([, value]) => value !== undefined)) as Partial<FakeMessage>;
    const stored: FakeMessage = {
      text: '',
      streamText: '',
      tasks: new Map(),
      chunks: [],
      edits: 0,
      deleted: false,
      ...defined,
      ts: message.ts ?? this.nextTs(),
      channel: message.channel,
    };
    this.channelMessages(message.channel).push(stored);
    if (stored.thread_ts && stored.thread_ts !== stored.ts) {
      const parent = this.find(stored.channel, stored.thread_ts);
      if (parent && !parent.thread_ts) parent.thread_ts = parent.ts;
    }
    return stored;
  }

  find(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.get(channel)?.find((message) => message.ts === ts && !message.deleted);
  }

  /** The parent and its replies, oldest first. */
  thread(channel: string, threadTs: string): FakeMessage[] {
    return (this.messages.get(channel) ?? [])
      .filter((message) => !message.deleted && (message.ts === threadTs || message.thread_ts === threadTs))
      .sort((a, b) => Number(a.ts) - Number(b.ts));
  }

  /** The replies only (what the bot posted in answer), oldest first. */
  replies(channel: string, threadTs: string): FakeMessage[] {
    return this.thread(channel, threadTs).filter((message) => message.ts !== threadTs);
  }
}

/** What a person sees in a message: markdown / section blocks when present, else the streamed text, else `text`. */
export function visibleText(message: FakeMessage): string {
  const shown: string[] = [];
  for (const block of message.blocks ?? []) {
    if (block.type === 'markdown' && typeof block.text === 'string') shown.push(block.text);
    if (block.type === 'section') {
      const text = block.text as { text?: unknown } | undefined;
      if (typeof text?.text === 'string') shown.push(text.text);
    }
  }
  if (shown.length > 0) return shown.join('\n');
  if (message.streaming_state) return message.streamText;
  return message.text;
}

/** Action ids of the buttons a message shows. */
export function buttonsOf(message: FakeMessage): string[] {
  const ids: string[] = [];
  const visit = (blocks: unknown): void => {
    if (!Array.isArray(blocks)) return;
    for (const block of blocks as Array<Record<string, unknown>>) {
      if (block.type === 'actions' && Array.isArray(block.elements)) {
        for (const element of block.elements as Array<Record<string, unknown>>) if (typeof element.action_id === 'string') ids.push(element.action_id);
      }
    }
  };
  visit(message.blocks);
  if (message.streaming_state === 'in_progress' || !message.blocks) {
    for (const chunk of message.chunks) if (chunk.type === 'blocks') visit(chunk.blocks);
  }
  return ids;
}

/**
 * Would posting this text notify anyone? Finds `<!channel>`, `<!here>`, `<!everyone>`, `<@U…>`,
 * `<!subteam^…>`, and bare `@channel` / `@here` / `@everyone` (Slack links these in markdown).
 */
export function notificationsIn(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/<(?:!(?:channel|here|everyone|subteam\^[^>]*)|@[UW][A-Z0-9]+)[^>]*>/g)) found.push(match[0]);
  for (const match of text.matchAll(/[@＠](?:channel|here|everyone)\b/gi)) found.push(match[0]);
  return found;
}
