import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; the health server exposes it at /metrics. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'ofox_bot_' });

export const answersTotal = new Counter({
  name: 'ofox_bot_answers_total',
  help: 'Answers finished, by outcome',
  labelNames: ['platform', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const toolCallsTotal = new Counter({
  name: 'ofox_bot_tool_calls_total',
  help: 'Tool calls, by tool and result',
  labelNames: ['tool', 'ok'] as const,
  registers: [metricsRegistry],
});

export const answerSeconds = new Histogram({
  name: 'ofox_bot_answer_seconds',
  help: 'Time from job start to the final edit',
  labelNames: ['platform'] as const,
  buckets: [0.5, 1, 2, 5, 10, 20, 40, 80, 160],
  registers: [metricsRegistry],
});
