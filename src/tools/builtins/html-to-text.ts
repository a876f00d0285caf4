/**
 * Turns an HTML page into the readable text a model needs: the title, then the visible words with
 * paragraph breaks. Not a full HTML parser — enough for articles and docs pages, and small.
 */

export interface ReadablePage {
  title?: string;
  text: string;
}

/** Elements whose content is never visible text. */
const HIDDEN_ELEMENTS = ['script', 'style', 'noscript', 'template', 'svg', 'canvas', 'iframe', 'object', 'head'];

/** Elements that start a new line, so words of adjacent blocks are not glued together. */
const BLOCK_ELEMENTS =
  'address|article|aside|blockquote|br|dd|details|dialog|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hr|main|nav|ol|p|pre|section|summary|table|tbody|thead|tfoot|tr|ul|option|title';

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  copy: '©',
  reg: '®',
  trade: '™',
  deg: '°',
  middot: '·',
  bull: '•',
  times: '×',
  divide: '÷',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  para: '¶',
};

export function htmlToText(html: string): ReadablePage {
  let body = html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ' ');

  const titleMatch = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(body);
  const title = titleMatch ? collapseInline(decodeEntities(stripTags(titleMatch[1] ?? ''))) : undefined;

  for (const element of HIDDEN_ELEMENTS) {
    body = body.replace(new RegExp(`<${element}\\b[\\s\\S]*?</${element}\\s*>`, 'gi'), ' ');
    // An unclosed hidden element hides the rest of the document, as a browser would.
    body = body.replace(new RegExp(`<${element}\\b[\\s\\S]*$`, 'i'), ' ');
  }

  body = body
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<\/li\s*>/gi, '')
    .replace(new RegExp(`</?(?:${BLOCK_ELEMENTS})\\b[^>]*>`, 'gi'), '\n')
    .replace(/<\/?(?:td|th)\b[^>]*>/gi, ' ');

  const text = decodeEntities(stripTags(body))
    .split('\n')
    .map(collapseInline)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

  return title ? { title, text } : { text };
}

function stripTags(html: string): string {
  return html.replace(/<\/?[a-zA-Z][^>]*>/g, ' ').replace(/<[!?][^>]*>/g, ' ');
}

function collapseInline(line: string): string {
  return line.replace(/[ \t\f\v\r\u00a0]+/g, ' ').trim();
}

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z][a-z0-9]*);/gi, (match, entity: string) => {
    if (entity[0] === '#') {
      const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    return NAMED_ENTITIES[entity.toLowerCase()] ?? match;
  });
}
