import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeOpenFence, fenceStateAt, hasBalancedFences } from '../../src/render/code-fence.ts';
import { MIN_SPLIT_CHARS, splitForLimit, splitSegments } from '../../src/render/split-for-limit.ts';
import { balanced, rejoin } from './helpers/fences.ts';

const WORDS = ['the', 'model', 'streams', 'an', 'answer', 'while', 'Redis', 'paces', 'every', 'channel', 'fairly', 'café', '日本語', '🦊', 'supercalifragilistic'];

/** A long markdown answer: prose paragraphs, lists and fenced code in several languages. */
function longAnswer(words: number): string {
  const parts: string[] = [];
  let count = 0;
  let block = 0;
  while (count < words) {
    block += 1;
    if (block % 4 === 0) {
      const language = ['ts', 'python', 'bash', ''][block % 4 === 0 ? (block / 4) % 4 : 0];
      const lines = Array.from({ length: 12 }, (_, line) => `  const value${line} = compute(${line}, "${WORDS[line % WORDS.length]}"); // step ${line}`);
      parts.push(`\`\`\`${language}\n${lines.join('\n')}\n\`\`\``);
      count += 12 * 6;
    } else if (block % 4 === 1) {
      parts.push(Array.from({ length: 6 }, (_, item) => `- item ${item}: ${WORDS.slice(item, item + 5).join(' ')}`).join('\n'));
      count += 36;
    } else {
      const length = 40 + (block % 7) * 9;
      parts.push(Array.from({ length }, (_, index) => WORDS[(index * 7 + block) % WORDS.length]).join(' ') + '.');
      count += length;
    }
  }
  return parts.join('\n\n');
}

describe('splitForLimit', () => {
  it('leaves a text that fits as one piece', () => {
    expect(splitForLimit('hello world', 2000)).toEqual(['hello world']);
    expect(splitForLimit('', 2000)).toEqual(['']);
  });

  it('splits a 6,000-word answer with code blocks into pieces that fit, render alone and rejoin exactly', () => {
    const answer = longAnswer(6_000);
    expect(answer.split(/\s+/).length).toBeGreaterThan(5_000);
    const pieces = splitForLimit(answer, 2_000);
    expect(pieces.length).toBeGreaterThan(10);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(2_000);
      expect(balanced(piece)).toBe(true);
      // Pieces stay large: no piece but the last is under half a message.
    }
    for (const piece of pieces.slice(0, -1)) expect(piece.length).toBeGreaterThan(1_000);
    expect(rejoin(pieces, answer)).toBe(answer);
    // No cut falls inside a word: every piece ends at whitespace or a fence it closed.
    for (const piece of pieces.slice(0, -1)) expect(piece).toMatch(/(\s|```)$/);
  });

  it('cuts at a paragraph break before a line break, and at a line break before a space', () => {
    const paragraph = 'a'.repeat(50);
    const text = `${paragraph} ${paragraph}\n\n${paragraph}\n${paragraph} ${paragraph}`;
    const pieces = splitForLimit(text, 120);
    expect(pieces[0]).toBe(`${paragraph} ${paragraph}\n\n`);
    const lines = splitForLimit(`${paragraph} ${paragraph}\n${paragraph} tail`, 120);
    expect(lines[0]).toBe(`${paragraph} ${paragraph}\n`);
  });

  it('closes a code block it cuts and reopens it with the same language', () => {
    const code = Array.from({ length: 40 }, (_, index) => `let line${index} = ${index};`).join('\n');
    const text = `Here is the code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is all.`;
    const pieces = splitForLimit(text, 200);
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces[1]?.startsWith('```ts\n')).toBe(true);
    expect(pieces[0]?.endsWith('\n```')).toBe(true);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(200);
      expect(hasBalancedFences(piece)).toBe(true);
    }
    expect(rejoin(pieces, text)).toBe(text);
  });

  it('keeps a tilde or long backtick fence, and its closing length, across a cut', () => {
    const inner = Array.from({ length: 30 }, (_, index) => `\`\`\` not a close ${index}`).join('\n');
    const text = `\`\`\`\`md\n${inner}\n\`\`\`\`\n\n~~~py\n${'print(1)\n'.repeat(30)}~~~`;
    const pieces = splitForLimit(text, 150);
    for (const piece of pieces) expect(balanced(piece)).toBe(true);
    expect(pieces.some((piece) => piece.startsWith('````md\n'))).toBe(true);
    expect(pieces.some((piece) => piece.startsWith('~~~py\n'))).toBe(true);
    expect(rejoin(pieces, text)).toBe(text);
  });

  it('cuts a single giant token hard, but never between the halves of an emoji', () => {
    const token = '🦊'.repeat(300);
    const pieces = splitForLimit(`start ${token} end`, 101);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(101);
      expect(piece).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
    expect(pieces.join('')).toBe(`start ${token} end`);
  });

  it('refuses a limit too small to hold a reopened fence and some text', () => {
    expect(() => splitForLimit('text', MIN_SPLIT_CHARS - 1)).toThrow(RangeError);
  });

  it('leaves room in the last piece when asked to', () => {
    const text = 'word '.repeat(30).trim();
    expect(splitSegments(text, 200).length).toBe(1);
    const segments = splitSegments(text, 200, { reserveLast: 80 });
    expect(segments.length).toBe(2);
    expect(segments.at(-1)!.text.length).toBeLessThanOrEqual(120);
    expect(segments.map((segment) => segment.text).join('')).toBe(text);
  });

  it('holds its invariants for any text: fits, balanced, rejoins, no split surrogates', () => {
    const token = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...WORDS) },
      { weight: 3, arbitrary: fc.constantFrom(' ', ' ', '\n', '\n\n', '  ', '\t') },
      { weight: 2, arbitrary: fc.constantFrom('```ts\n', '```\n', '\n```\n', '~~~\n', '````md\n', '\n````\n', '```js x```\n', '   ```python\n') },
      { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }) },
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 400, size: 'large' }), fc.integer({ min: MIN_SPLIT_CHARS, max: 700 }), fc.integer({ min: 0, max: 400 }), (tokens, maxChars, reserve) => {
        const text = tokens.join('');
        const segments = splitSegments(text, maxChars, { reserveLast: reserve });
        const pieces = segments.map((segment) => segment.text);
        const reserveLast = Math.min(reserve, Math.floor(maxChars / 2));
        for (const [index, piece] of pieces.entries()) {
          expect(piece.length).toBeLessThanOrEqual(index === pieces.length - 1 ? maxChars - reserveLast : maxChars);
          expect(balanced(piece)).toBe(true);
          expect(piece).not.toMatch(/[\uD800-\uDBFF]$/);
        }
        expect(rejoin(pieces, text)).toBe(text);
        // The offsets agree with the pieces, so the renderer can resume from any of them.
        for (const segment of segments) expect(fenceStateAt(text, segment.end)?.reopen).toBe(segment.openAtEnd?.reopen);
      }),
      { numRuns: 300 },
    );
  });
});

describe('closeOpenFence', () => {
  it('closes a block a streaming snapshot leaves open, and leaves balanced text alone', () => {
    expect(closeOpenFence('look:\n```ts\nconst a = 1;')).toBe('look:\n```ts\nconst a = 1;\n```');
    expect(closeOpenFence('look:\n````\ncode\n')).toBe('look:\n````\ncode\n````');
    expect(closeOpenFence('```ts\nx\n```\ndone')).toBe('```ts\nx\n```\ndone');
    expect(closeOpenFence('inline ```x``` stays')).toBe('inline ```x``` stays');
  });
});
