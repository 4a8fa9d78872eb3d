import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './config';

/** What a test (or an embedding app) hands {@link createApp}: spans go there too, with or without an endpoint. */
export interface TracingOptions {
  /** E.g. a `SimpleSpanProcessor` over an `InMemorySpanExporter`. */
  spanProcessor?: SpanProcessor;
}

/** Tracing as set up: the tracer, and the server span of each HTTP request. */
export interface Tracing {
  readonly tracer: Tracer;
  /**
   * Wraps the server's `request` listener: one server span per request (`POST /graphql`), a child of
   * the incoming W3C `traceparent` if any, current for everything the request runs, ended with the
   * response's status code.
   */
  serverSpans(listener: Listener): Listener;
  /** Sends what is still buffered and stops. */
  shutdown(): Promise<void>;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** The routes a span is named after; any other path is not named (it could hold anything). */
const ROUTES = new Set(['/graphql', '/health', '/ready', '/metrics']);

/** The registration of the context manager and propagator is global: done once per process. */
let registered = false;

/**
 * Tracing when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or a span processor is given), else null. Only then
 * is the SDK loaded (`require` here, never at the top of a module): with tracing off, only
 * `@opentelemetry/api`'s types are ever imported, and nothing else of OpenTelemetry runs.
 */
export function setUpTracing(config: TracingConfig, options: TracingOptions = {}): Tracing | null {
  if (!config.endpoint && !options.spanProcessor) return null;
  const sdk = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const spanProcessors: SpanProcessor[] = [];
  if (config.endpoint) {
    const { OTLPTraceExporter } =
      require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    // Headers (OTEL_EXPORTER_OTLP_HEADERS) and a signal-specific URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
    // come from the environment, read by the exporter itself.
    const url = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? undefined : tracesUrl(config.endpoint);
    spanProcessors.push(new sdk.BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {})));
  }
  if (options.spanProcessor) spanProcessors.push(options.spanProcessor);
  const provider = new sdk.NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    spanProcessors,
  });
  // The AsyncLocalStorage context manager and the W3C trace-context (and baggage) propagator, once; a
  // second app in this process (tests) keeps them and uses its own tracer, handed to whatever traces.
  if (!registered) {
    provider.register();
    registered = true;
  }
  const tracer = provider.getTracer('graphql-resolver-cache');
  return {
    tracer,
    serverSpans: (listener) => (req, res) => {
      const parent = propagation.extract(context.active(), req.headers);
      const method = req.method ?? 'GET';
      const route = routeOf(req.url);
      const span = tracer.startSpan(
        route ? `${method} ${route}` : method,
        {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': method, ...(route ? { 'http.route': route } : {}) },
        },
        parent,
      );
      const active = trace.setSpan(parent, span);
      // Listeners of the request's and response's events (body chunks, 'finish') run in its context too:
      // they are called from the socket's, not from the code that added them.
      context.bind(active, req);
      context.bind(active, res);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
      res.once('finish', end);
      res.once('close', end);
      context.with(active, () => listener(req, res));
    },
    shutdown: () => provider.shutdown(),
  };
}

/** `{endpoint}/v1/traces`, as the exporter builds it from OTEL_EXPORTER_OTLP_ENDPOINT. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

function routeOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return ROUTES.has(path) ? path : undefined;
}
