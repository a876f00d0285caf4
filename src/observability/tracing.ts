import { context, propagation, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import type { Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';

/**
 * OpenTelemetry traces, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set: one trace per answer,
 * from the enqueue (BullMQ's producer span) through the queue to the worker (its consumer span),
 * with spans for the answer, each model round, each tool call and each platform write. While off,
 * the API's no-op tracer makes every span below free.
 */

export interface TracingOptions {
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces`. @defaultValue none: tracing off */
  endpoint?: string;
  /** Used instead of the OTLP exporter (tests pass an in-memory one). @defaultValue none */
  exporter?: SpanExporter;
  /** `service.name`. @defaultValue 'ofox-bot' */
  serviceName?: string;
  /** `ofox_bot.role`: gateway, worker or start. @defaultValue none */
  role?: string;
}

export interface Tracing {
  /** BullMQ's `telemetry` option for queues and workers, so the job carries the trace across Redis. */
  readonly telemetry: Telemetry;
  /** Sends what is buffered. */
  flush(): Promise<void>;
  /** Flushes and turns tracing off again (the process-wide OpenTelemetry globals are released). */
  shutdown(): Promise<void>;
}

export const TRACING_DEFAULTS = {
  serviceName: 'ofox-bot',
} as const;

const TRACER_NAME = 'ofox-bot';
let active: Tracing | undefined;

/** Starts tracing when an endpoint or exporter is given; returns undefined (tracing stays off) otherwise. */
export function startTracing(options: TracingOptions): Tracing | undefined {
  if (active) return active;
  if (!options.endpoint && !options.exporter) return undefined;
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/+$/, '')}/v1/traces` });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName ?? TRACING_DEFAULTS.serviceName,
      ...(options.role ? { 'ofox_bot.role': options.role } : {}),
    }),
    // Tests read spans as they end; a real collector gets batches.
    spanProcessors: [options.exporter ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  const tracing: Tracing = {
    telemetry: new BullMQOtel({ tracerName: TRACER_NAME }),
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      if (active === tracing) active = undefined;
    },
  };
  active = tracing;
  return tracing;
}

/** BullMQ's telemetry option while tracing is on, for the composition root to hand to queues and workers. */
export function bullmqTelemetry(): Telemetry | undefined {
  return active?.telemetry;
}

function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** Runs `work` in a new span (a child of the active one) that ends, marked failed on a throw, when `work` settles. */
export async function withSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span that is not made active (streams and writes end it themselves). */
export function startSpan(name: string, attributes: Attributes): Span {
  return tracer().startSpan(name, { attributes });
}

/** A span for something that already happened (a tool call reported with its duration). */
export function recordSpan(name: string, attributes: Attributes, durationMs: number, failed = false): void {
  const end = Date.now();
  const span = tracer().startSpan(name, { attributes, startTime: end - Math.max(0, durationMs) });
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(end);
}

export function failSpan(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
}

/**
 * Ingress services whose enqueue opens the answer's trace (an `ingress` span, parent of BullMQ's
 * producer span), so the worker's spans join the trace of the request that caused them.
 */
export function traceEnqueue<S extends { enqueue(job: { platform: string }): Promise<R> }, R>(services: S): S {
  return { ...services, enqueue: (job: { platform: string }) => withSpan('ingress', { 'ofox_bot.platform': job.platform }, () => services.enqueue(job)) };
}
