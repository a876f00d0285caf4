import { describe, expect, it } from 'vitest';
import { fallbackText, markdownToMrkdwn, mrkdwnToPlain, neutralizeMarkdown, splitMrkdwn } from '../../adapters/slack/formatting.ts';
import { notificationsIn } from '../fakes/slack/index.ts';

describe('markdown becomes Slack mrkdwn', () => {
  it('turns bold into single asterisks and italics into underscores', () => {
    expect(markdownToMrkdwn('this is **bold** and *italic* and __also bold__ and _it_')).toBe('this is *bold* and _italic_ and *also bold* and _it_');
  });

  it('keeps bold and italics apart when they touch', () => {
    expect(markdownToMrkdwn('***both*** then **b** *i*')).toBe('*_both_* then *b* _i_');
  });

  it('rewrites links as <url|text> and leaves unsafe targets as text', () => {
    expect(markdownToMrkdwn('see [the docs](https://example.com/a?b=1&c=2) now')).toBe('see <https://example.com/a?b=1&amp;c=2|the docs> now');
    expect(markdownToMrkdwn('[click](javascript:alert(1))')).not.toContain('<javascript');
    expect(markdownToMrkdwn('[x](!channel)')).not.toMatch(/<!channel/);
  });

  it('turns headings into bold lines and lists into bullets', () => {
    expect(markdownToMrkdwn('# Title\n## Sub **part**\n- one\n- two\n  - nested\n1. first')).toBe('*Title*\n*Sub part*\n• one\n• two\n    ◦ nested\n1. first');
  });

  it('keeps code blocks, drops their language tag and formats nothing inside them', () => {
    const markdown = 'before\n```ts\nconst a = **b** < c && d > e;\n```\nafter `x<y`';
    expect(markdownToMrkdwn(markdown)).toBe('before\n```\nconst a = **b** &lt; c &amp;&amp; d &gt; e;\n```\nafter `x&lt;y`');
  });

  it('closes a code block the model left open', () => {
    expect(markdownToMrkdwn('```\nopen')).toBe('```\nopen\n```');
  });

  it('escapes &, < and > everywhere', () => {
    expect(markdownToMrkdwn('a < b & c > d')).toBe('a &lt; b &amp; c &gt; d');
  });

  it('keeps quotes and strikethrough', () => {
    expect(markdownToMrkdwn('> quoted **x**\n~~gone~~')).toBe('>quoted *x*\n~gone~');
  });
});

describe('nothing the model writes can notify anyone', () => {
  const hostile = 'hey <!channel> and <!here|here> and <!everyone> <@U123ABC> <!subteam^S0123|@devs> and @channel @here @everyone';

  it('neutralizes every mention form in mrkdwn', () => {
    const mrkdwn = markdownToMrkdwn(hostile);
    expect(notificationsIn(mrkdwn)).toEqual([]);
    expect(mrkdwn).not.toContain('<!');
    expect(mrkdwn).not.toContain('<@');
  });

  it('neutralizes every mention form in markdown_text', () => {
    expect(notificationsIn(neutralizeMarkdown(hostile))).toEqual([]);
  });

  it('neutralizes mentions inside link labels and code', () => {
    expect(notificationsIn(markdownToMrkdwn('[<!channel>](https://x.test) `@here` ```\n<!here>\n```'))).toEqual([]);
  });

  it('still reads naturally', () => {
    expect(neutralizeMarkdown('mail @channel now').replace(/\u2060/g, '')).toBe('mail @channel now');
  });
});

describe('long mrkdwn', () => {
  it('splits under the section limit and reopens code blocks across pieces', () => {
    const code = Array.from({ length: 200 }, (_, index) => `line ${index} ${'x'.repeat(20)}`).join('\n');
    const pieces = splitMrkdwn(`intro\n\`\`\`\n${code}\n\`\`\`\noutro`, 1000);
    expect(pieces.length).toBeGreaterThan(3);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(1000);
      expect((piece.match(/```/g) ?? []).length % 2).toBe(0);
    }
    expect(pieces.join('\n').replace(/\n```\n```\n/g, '\n')).toContain('line 199');
  });

  it('cuts the fallback text without breaking an escape', () => {
    const text = fallbackText('a'.repeat(2998) + '&amp;b', 3000);
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).not.toMatch(/&[a-z]*…$/);
  });
});

describe('people’s mrkdwn becomes plain text for the model', () => {
  it('resolves mentions and links and unescapes entities', () => {
    const names = new Map([['U1', 'alice']]);
    expect(mrkdwnToPlain('<@U1> look at <https://a.test|this> &amp; <https://b.test> &lt;3', names)).toBe('@alice look at this (https://a.test) & https://b.test <3');
  });
});
