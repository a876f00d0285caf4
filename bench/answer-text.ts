/**
 * The answers the bench's fake OfoxAI streams, derived from the job's seed so the worker side can
 * check the final message against exactly what the model sent without shipping the text around.
 */

/** The key the fake accepts and the worker sends (a loopback fake, so no secret). */
export const BENCH_API_KEY = 'sk-bench-ofox-key-0123456789';

// Short words keep a 300-token answer under Discord's 2000 characters, so each answer is one message.
const WORDS = ['the', 'build', 'is', 'green', 'and', 'tests', 'pass;', 'we', 'ship', 'it', 'today,', 'café', '数据', 'ok.', 'next', 'step:', 'merge', '`main`', 'now', '**bold**'];

/** Tokens in the answer for `seed`: 150–300, spread so streams end at different times. */
export function tokensFor(seed: number): number {
  return 150 + ((seed * 7919) % 151);
}

/** The answer text for `seed`; the fake sends one word (one "token") per chunk. */
export function answerFor(seed: number): string {
  const count = tokensFor(seed);
  const words: string[] = [];
  for (let index = 0; index < count; index++) words.push(WORDS[(seed * 31 + index * 17 + (index >> 3)) % WORDS.length] ?? 'x');
  return words.join(' ');
}

/** The prompt that tells the fake which answer to stream. */
export function promptFor(seed: number): string {
  return `bench-job-${seed}`;
}

export function seedOf(text: string): number | undefined {
  const match = /bench-job-(\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

// Plain lowercase words: every platform shows them as sent, so visible text compares word for word.
const PLAIN_WORDS = ['the', 'build', 'is', 'green', 'and', 'tests', 'pass', 'we', 'ship', 'it', 'today', 'next', 'step', 'merge', 'main', 'now', 'review', 'done'];

/** The load bench's prompt: which answer, how many tokens, how fast. */
export function loadPromptFor(seed: number, tokens: number, tokensPerSecond: number): string {
  return `load-job-${seed}-${tokens}-${tokensPerSecond}`;
}

export function loadRequestOf(text: string): { seed: number; tokens: number; tokensPerSecond: number } | undefined {
  const match = /load-job-(\d+)-(\d+)-(\d+)/.exec(text);
  return match ? { seed: Number(match[1]), tokens: Number(match[2]), tokensPerSecond: Number(match[3]) } : undefined;
}

/** The load bench's answer: `tokens` plain words, one per chunk. */
export function loadAnswerFor(seed: number, tokens: number): string {
  const words: string[] = [];
  for (let index = 0; index < tokens; index++) words.push(PLAIN_WORDS[(seed * 7 + index * 5 + (index >> 2)) % PLAIN_WORDS.length] ?? 'x');
  return words.join(' ');
}
