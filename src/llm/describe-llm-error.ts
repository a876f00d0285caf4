import { LlmError } from './errors.ts';

/**
 * One line a person in the channel can read: what went wrong and what to do, without stack
 * traces, JSON or secrets (upstream messages were scrubbed when the error was made).
 */
export function describeLlmError(error: unknown): string {
  return oneLine(error instanceof LlmError ? describe(error) : 'Something went wrong while talking to the model.');
}

function describe(error: LlmError): string {
  switch (error.kind) {
    case 'abort':
      return 'The request was cancelled.';
    case 'auth':
      return `OfoxAI rejected the bot's API key (${error.status ?? 'auth'}); an admin needs to check OFOX_API_KEY.`;
    case 'rate-limit': {
      const wait = error.retryAfterMs === undefined ? 'shortly' : `in ${Math.max(1, Math.ceil(error.retryAfterMs / 1000))} s`;
      return `OfoxAI is rate-limiting this team's requests; try again ${wait}.`;
    }
    case 'overloaded':
      return 'The model is overloaded right now; try again in a moment or pick another model.';
    case 'context-too-long':
      return "The conversation is too long for this model's context window; start a new thread or pick a model with a larger context.";
    case 'bad-request':
      return `OfoxAI refused the request${error.status ? ` (${error.status})` : ''}${upstream(error)}.`;
    case 'refused':
      return `The model declined this request under its content policy${upstream(error)}; rephrase it and try again.`;
    case 'server':
      return `OfoxAI had a server error${error.status ? ` (${error.status})` : ''}${upstream(error)}; try again shortly.`;
    case 'timeout': {
      const seconds = Math.max(1, Math.round(error.timeoutMs / 1000));
      switch (error.phase) {
        case 'connect':
          return `Could not connect to OfoxAI within ${seconds} s; try again shortly.`;
        case 'first-byte':
          return `The model did not start answering within ${seconds} s; try again shortly.`;
        case 'idle':
          return `The model stopped answering for ${seconds} s; try again.`;
        case 'stall':
          return `The model sent nothing for ${seconds} s, even after retrying; try again later or pick another model.`;
        case 'deadline':
          return `The answer took longer than ${seconds} s and was stopped.`;
      }
      break;
    }
    case 'network':
      return 'Could not reach OfoxAI (network error); try again shortly.';
    case 'stream-cut-off':
    case 'malformed-stream':
      return "OfoxAI's answer broke off midway; try again.";
    case 'unexpected':
      return `The model request failed${upstream(error)}.`;
  }
  return `The model request failed${upstream(error)}.`;
}

function upstream(error: LlmError): string {
  if (!error.upstreamMessage) return '';
  const text = error.upstreamMessage.replace(/[.\s]+$/, '');
  return `: ${text.length > 200 ? `${text.slice(0, 199)}…` : text}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
