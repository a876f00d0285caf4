import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/llm/types.ts';
import { estimateTokens, fitHistory } from '../../src/worker/context-window.ts';

describe('trimming the conversation to the token budget', () => {
  const turn = (role: 'user' | 'assistant', words: number): ChatMessage => ({ role, content: 'word '.repeat(words) });

  it('keeps the newest messages that fit and drops the oldest whole', () => {
    const history = [turn('user', 400), turn('assistant', 400), turn('user', 40), turn('assistant', 40)];
    const kept = fitHistory(history, 100, 400);
    expect(kept).toEqual(history.slice(2));
  });

  it('never starts the kept history with an assistant turn', () => {
    const history = [turn('user', 400), turn('assistant', 40), turn('user', 40)];
    expect(fitHistory(history, 0, 150)[0]?.role).toBe('user');
  });

  it('counts CJK text as one token a character', () => {
    expect(estimateTokens('你好世界')).toBe(4);
    expect(estimateTokens('abcdefgh')).toBe(2);
  });
});
