/**
 * Model markdown → Slack text. Two targets:
 * - `markdown_text` / `markdown` blocks (native streaming, final answers): Slack renders standard
 *   markdown itself, so the text only has its mention syntax broken (`neutralizeMarkdown`).
 * - mrkdwn (`text`, section blocks, the `update` fallback): converted here (`markdownToMrkdwn`).
 *
 * Nothing the model writes may notify anyone: `<!channel>`, `<!here>`, `<!everyone>`, `<@U…>`,
 * `<!subteam^…>` and bare `@channel` / `@here` / `@everyone` are broken with a word joiner (U+2060),
 * which is invisible but stops Slack from parsing them; mrkdwn also escapes every `<`, `>`, `&`.
 */

const WORD_JOINER = '\u2060';

/** Slack's section block text limit. */
export const SECTION_TEXT_LIMIT = 3000;

/** Breaks every construct Slack would turn into a notification, keeping the text readable. */
export function neutralizeMentions(text: string): string {
  return text
    .replace(/<(?=[!@#])/g, `<${WORD_JOINER}`)
    .replace(/[@＠](?=(channel|here|everyone)\b)/gi, (at) => `${at}${WORD_JOINER}`);
}

/** For `markdown_text` and markdown blocks: Slack parses the markdown; we only defuse mentions. */
export function neutralizeMarkdown(text: string): string {
  return neutralizeMentions(text);
}

/** The three characters Slack requires escaped in mrkdwn. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

function linkTarget(url: string): string | undefined {
  const trimmed = url.trim();
  if (!SAFE_LINK.test(trimmed)) return undefined;
  // `|` and `>` end a Slack link early; `<` could start a mention inside it.
  return trimmed.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C').replace(/&/g, '&amp;');
}

/** Converts the inline markdown of one line (no code fences) to mrkdwn. */
function convertInline(line: string): string {
  const stash: string[] = [];
  const keep = (value: string): string => {
    stash.push(value);
    return `\uE000${stash.length - 1}\uE000`;
  };
  let text = line.replace(/[\uE000\uE001]/g, '');
  // Inline code first: nothing inside it is formatting.
  text = text.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_match, _ticks: string, code: string) => keep(`\`${escapeMrkdwn(neutralizeMentions(code))}\``));
  // Images and links: [text](url) → <url|text>; unsafe targets stay plain text.
  text = text.replace(/!?\[([^\]\n]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, (match, label: string, url: string) => {
    const target = linkTarget(url);
    if (!target) return match;
    const shown = escapeMrkdwn(neutralizeMentions(label.replace(/[*_~`]/g, ''))).replace(/\|/g, '¦');
    return keep(shown.length > 0 ? `<${target}|${shown}>` : `<${target}>`);
  });
  // Autolinks <https://…> keep their meaning.
  text = text.replace(/<(https?:\/\/[^\s>]+)>/g, (match, url: string) => {
    const target = linkTarget(url);
    return target ? keep(`<${target}>`) : match;
  });
  text = escapeMrkdwn(neutralizeMentions(text));
  // Bold (**x**, __x__) becomes a marker so the italic pass does not see it; ~~x~~ → ~x~.
  text = text.replace(/\*\*\*(?=\S)([\s\S]*?\S)\*\*\*/g, '\uE001_$1_\uE001');
  text = text.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '\uE001$1\uE001');
  text = text.replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, '$1\uE001$2\uE001');
  text = text.replace(/(^|[^\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])/g, '$1_$2_');
  text = text.replace(/~~(?=\S)([\s\S]*?\S)~~/g, '~$1~');
  text = text.replace(/\uE001/g, '*');
  return text.replace(/\uE000(\d+)\uE000/g, (_match, index: string) => stash[Number(index)] ?? '');
}

function convertLine(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (heading) {
    const inner = convertInline((heading[1] ?? '').replace(/\*\*|__/g, ''));
    return inner.length > 0 ? `*${inner}*` : '';
  }
  if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) return '───';
  const quote = /^(\s*)>\s?(.*)$/.exec(line);
  if (quote) return `>${convertLine(quote[2] ?? '')}`;
  const task = /^(\s*)[-*+]\s+\[([ xX])\]\s+(.*)$/.exec(line);
  if (task) return `${task[1] ?? ''}${task[2] === ' ' ? '☐' : '☑'} ${convertInline(task[3] ?? '')}`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) {
    const depth = Math.floor((bullet[1] ?? '').replace(/\t/g, '    ').length / 2);
    return `${'    '.repeat(depth)}${depth % 2 === 0 ? '•' : '◦'} ${convertInline(bullet[2] ?? '')}`;
  }
  return convertInline(line);
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})(.*)$/;

/**
 * Standard markdown → Slack mrkdwn: bold, italics, strikethrough, links, headings (bold lines),
 * lists (bullets), quotes, inline code and fenced code blocks (language tags dropped; Slack would
 * show them). Mentions are neutralized and `&`, `<`, `>` escaped everywhere.
 */
export function markdownToMrkdwn(markdown: string): string {
  const output: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const fenceMatch = FENCE.exec(line);
    if (fence !== undefined) {
      if (fenceMatch && fenceMatch[1]?.[0] === fence[0] && (fenceMatch[1]?.length ?? 0) >= fence.length && (fenceMatch[2] ?? '').trim() === '') {
        output.push('```');
        fence = undefined;
      } else {
        output.push(escapeMrkdwn(neutralizeMentions(line)));
      }
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1] ?? '```';
      output.push('```');
      continue;
    }
    output.push(convertLine(line));
  }
  if (fence !== undefined) output.push('```');
  return output.join('\n');
}

/**
 * Splits mrkdwn into pieces of at most `limit` characters on line boundaries; a code block cut in
 * two is closed at the end of one piece and reopened at the start of the next.
 */
export function splitMrkdwn(text: string, limit = SECTION_TEXT_LIMIT): string[] {
  const pieces: string[] = [];
  let current = '';
  let inCode = false;
  const flush = (): void => {
    if (current.length === 0) return;
    pieces.push(inCode ? `${current}\n\`\`\`` : current);
    current = inCode ? '```\n' : '';
  };
  const budget = limit - 4; // room for a closing fence
  for (const rawLine of text.split('\n')) {
    let line = rawLine;
    while (line.length > 0 || rawLine.length === 0) {
      const separator = current.length > 0 && !current.endsWith('\n') ? 1 : 0;
      const room = budget - current.length - separator;
      if (line.length <= room) {
        current += (separator ? '\n' : '') + line;
        break;
      }
      if (room >= 200 || current.length === 0 || current === '```\n') {
        const cut = Math.max(1, room);
        current += (separator ? '\n' : '') + line.slice(0, cut);
        line = line.slice(cut);
      }
      flush();
      if (line.length === 0) break;
    }
    if (/^```/.test(rawLine.trim())) inCode = !inCode;
  }
  if (current.length > 0 && current !== '```\n') pieces.push(current);
  return pieces.length > 0 ? pieces : [''];
}

/** A `text` fallback (notifications, old clients) that stays under Slack's length limits. */
export function fallbackText(mrkdwn: string, limit = 3000): string {
  if (mrkdwn.length <= limit) return mrkdwn;
  let cut = mrkdwn.slice(0, limit - 1);
  // Never end inside an escape like `&am`.
  cut = cut.replace(/&[a-z]{0,4}$/, '');
  return `${cut}…`;
}

/**
 * Slack message text (mrkdwn from people) → plain text for the model: user mentions become
 * `@name`, links `text (url)`, and entities are unescaped.
 */
export function mrkdwnToPlain(text: string, names: ReadonlyMap<string, string> = new Map()): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|([^>]+))?>/g, (_match, id: string, label?: string) => `@${label ?? names.get(id) ?? id}`)
    .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]*))?>/g, (_match, id: string, label?: string) => `#${label || id}`)
    .replace(/<!(channel|here|everyone)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!subteam\^[A-Z0-9]+(?:\|([^>]+))?>/g, (_match, label?: string) => label ?? '@group')
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<((?:https?|mailto):[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<((?:https?|mailto):[^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
