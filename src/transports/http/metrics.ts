import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { App } from '../../app.js';
import type { StoreStats } from '../../store/port.js';

/**
 * `GET /metrics` (Prometheus text format, prom-client on registries of its own, never
 * the library's global one):
 *
 * - store state, read on scrape: sessions and tasks by status, open investigations,
 *   extraction backlog (events, sessions) and lag (age of the oldest due extraction);
 * - sweep durations per scheduler job, tool-call latency per tool, HTTP responses by
 *   method, route and status, request durations, open MCP sessions;
 * - the process: CPU, memory, event-loop lag, GC, handles (prom-client's defaults).
 *
 * A scrape stays cheap: the counts come from `StorePort.stats`, which scans the events
 * table (≈0.3 s at a million events on SQLite, on the event loop), so they are read at
 * most once per STATS_MIN_INTERVAL_MS — longer when the read is slow, keeping it under
 * 1% of the time — and every scrape in between reports the last reading (its age is a
 * metric). The lag is one indexed lookup per scrape. Labels are bounded: routes are
 * templates, never paths with ids; tools are the registry's; methods a fixed set.
 */

/** The least time between two reads of the store's counts. */
export const STATS_MIN_INTERVAL_MS = 30_000;
/** A read of the counts may take at most this share of the time between reads. */
const STATS_MAX_DUTY = 0.01;

const TOOL_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const SWEEP_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const METHODS = new Set(['GET', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PUT', 'PATCH']);

/** The route template of a path (the `route` label): a fixed set, so ids never become label values. */
export function routeOf(path: string): string {
  if (path === '/mcp' || path === '/mcp/') return '/mcp';
  if (path.startsWith('/hooks/signals/')) return '/hooks/signals/:investigationId/:signal';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return path;
  if (path.startsWith('/.well-known/')) return '/.well-known/*';
  return 'other';
}

// Process metrics install process-wide observers (GC, event-loop delay): one set per
// process, shared by every server it starts, made on first use (never on import).
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface HttpMetricsOptions {
  /** Open MCP sessions of the server. */
  mcpSessions: () => number;
  /** Least time between reads of the store's counts; default STATS_MIN_INTERVAL_MS. */
  statsMinIntervalMs?: number;
}

export interface HttpMetrics {
  /** Counts and times every response; goes first in the pipeline. */
  readonly middleware: RequestHandler;
  /** `GET /metrics`, after whatever access check the server puts in front of it. */
  readonly handler: RequestHandler;
  /** The exposition text (what /metrics answers). */
  render(): Promise<string>;
  readonly contentType: string;
  /** Stops listening to the app (its tool calls and sweeps). */
  close(): void;
}

/** The metrics of one HTTP server over `app`. */
export function httpMetrics(app: App, o: HttpMetricsOptions): HttpMetrics {
  const registry = new Registry();
  const registers = [registry];
  const minInterval = o.statsMinIntervalMs ?? STATS_MIN_INTERVAL_MS;

  // ---- store state, on scrape ----
  let stats: StoreStats | null = null;
  let statsAt = -Infinity; // performance.now() of the last reading
  let statsMs = 0;
  let reading: Promise<void> | null = null;
  const statsErrors = new Counter({ name: 'longhaul_store_stats_errors_total', help: 'Reads of the store counts that failed (the gauges keep their last values).', registers });
  const readStats = async (): Promise<void> => {
    const wait = Math.max(minInterval, statsMs / STATS_MAX_DUTY);
    if (performance.now() - statsAt < wait) return;
    reading ??= (async () => {
      const started = performance.now();
      try {
        stats = await app.store.stats(app.clock.now());
        statsAt = performance.now();
        statsMs = statsAt - started;
      } catch {
        statsErrors.inc();
        statsAt = performance.now(); // a failing store is not asked again at every scrape
      } finally {
        reading = null;
      }
    })();
    await reading;
  };

  new Gauge({
    name: 'longhaul_sessions',
    help: 'Runtime sessions by status (all tenants).',
    labelNames: ['status'],
    registers,
    async collect() {
      await readStats();
      if (stats) for (const [status, n] of Object.entries(stats.sessionsByStatus)) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'longhaul_tasks',
    help: 'Worker tasks by status (all tenants).',
    labelNames: ['status'],
    registers,
    async collect() {
      await readStats();
      if (stats) for (const [status, n] of Object.entries(stats.tasksByStatus)) this.set({ status }, n);
    },
  });
  const fromStats = (name: string, help: string, pick: (s: StoreStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        await readStats();
        if (stats) this.set(pick(stats));
      },
    });
  fromStats('longhaul_open_investigations', 'Open investigations (all tenants).', (s) => s.openInvestigations);
  fromStats('longhaul_extraction_backlog_events', 'Short-term events not yet extracted into long-term memory.', (s) => s.extractionBacklog.events);
  fromStats('longhaul_extraction_backlog_sessions', 'Sessions with events not yet extracted.', (s) => s.extractionBacklog.sessions);
  new Gauge({
    name: 'longhaul_store_stats_age_seconds',
    help: `Age of the counts above: they are read at most every ${minInterval / 1000} s (longer when the read is slow).`,
    registers,
    collect() {
      if (stats) this.set((performance.now() - statsAt) / 1000);
    },
  });
  new Gauge({
    name: 'longhaul_store_stats_read_seconds',
    help: 'How long the last read of the store counts took.',
    registers,
    collect() {
      if (stats) this.set(statsMs / 1000);
    },
  });
  new Gauge({
    name: 'longhaul_extraction_lag_seconds',
    help: 'Age of the oldest extraction that is due (0 when none is): how far long-term memory is behind.',
    registers,
    async collect() {
      try {
        const now = app.clock.now();
        const [oldest] = await app.store.dueExtractions(now, 1);
        this.set(oldest?.dueAt != null ? Math.max(0, now - oldest.dueAt) / 1000 : 0);
      } catch {
        statsErrors.inc();
      }
    },
  });
  new Gauge({
    name: 'longhaul_mcp_sessions',
    help: 'Open MCP (transport) sessions on this server.',
    registers,
    collect() {
      this.set(o.mcpSessions());
    },
  });

  // ---- what the app tells ----
  const sweepSeconds = new Histogram({ name: 'longhaul_sweep_duration_seconds', help: 'Duration of one scheduler pass, by job.', labelNames: ['job'], buckets: SWEEP_BUCKETS, registers });
  const sweepItems = new Counter({ name: 'longhaul_sweep_items_total', help: 'Items the scheduler passes acted on, by job.', labelNames: ['job'], registers });
  const sweepFailures = new Counter({ name: 'longhaul_sweep_failures_total', help: 'Scheduler passes that failed, by job.', labelNames: ['job'], registers });
  const toolSeconds = new Histogram({
    name: 'longhaul_tool_call_duration_seconds',
    help: 'Duration of MCP tool calls (the handler, from validated input to result), by tool and outcome (ok, error).',
    labelNames: ['tool', 'outcome'],
    buckets: TOOL_BUCKETS,
    registers,
  });
  const onSweep = (job: string, ms: number, r: { processed: number; detail?: Record<string, unknown> }) => {
    sweepSeconds.observe({ job }, ms / 1000);
    sweepItems.inc({ job }, r.processed);
    if (r.detail && 'error' in r.detail) sweepFailures.inc({ job });
  };
  const onToolCall = (tool: string, ms: number, isError: boolean) => toolSeconds.observe({ tool, outcome: isError ? 'error' : 'ok' }, ms / 1000);
  app.observers.sweeps.add(onSweep);
  app.observers.toolCalls.add(onToolCall);

  // ---- HTTP ----
  const responses = new Counter({ name: 'longhaul_http_responses_total', help: 'HTTP responses by method, route and status.', labelNames: ['method', 'route', 'status'], registers });
  const requestSeconds = new Histogram({
    name: 'longhaul_http_request_duration_seconds',
    help: 'HTTP request durations by method and route, to the end of the response (GET /mcp, the long-lived event stream, is not timed).',
    labelNames: ['method', 'route'],
    buckets: HTTP_BUCKETS,
    registers,
  });
  const middleware: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    let counted = false;
    const done = () => {
      if (counted) return;
      counted = true;
      const method = METHODS.has(req.method) ? req.method : 'other';
      const route = routeOf(req.originalUrl.split('?', 1)[0]!);
      // A client that went away before an answer got none: counted as status 499 (nginx's word for it).
      responses.inc({ method, route, status: res.headersSent ? String(res.statusCode) : '499' });
      if (!(method === 'GET' && route === '/mcp')) requestSeconds.observe({ method, route }, (performance.now() - started) / 1000);
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };

  const scrape = Registry.merge([processMetrics(), registry]);
  const render = () => scrape.metrics();
  const handler: RequestHandler = async (_req: Request, res: Response, next: NextFunction) => {
    try {
      const text = await render();
      res.set({ 'Content-Type': scrape.contentType, 'Cache-Control': 'no-store' }).send(text);
    } catch (e) {
      next(e);
    }
  };

  return {
    middleware,
    handler,
    render,
    contentType: scrape.contentType,
    close() {
      app.observers.sweeps.delete(onSweep);
      app.observers.toolCalls.delete(onToolCall);
    },
  };
}
