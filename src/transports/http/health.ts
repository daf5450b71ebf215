import express, { type Router } from 'express';
import type { StorePort } from '../../store/port.js';

/** How long /readyz waits for the store (and each dependency) before saying it is not ready. */
const READY_TIMEOUT_MS = 2_000;

/**
 * A dependency besides the store that /readyz reports on without failing readiness:
 * durable work goes on without it (Redis: the store's change log, leases and the
 * store-side idempotency take over), but what needs it says so.
 */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects (or hangs past the timeout) when not. */
  check(): Promise<unknown>;
  /** What does not work while it is down, for the operator reading /readyz. */
  degrades: string;
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * `GET /healthz`: 200 while the process is up (liveness). `GET /readyz`: 200 when the
 * store answers a cheap indexed query on a migrated table (the due-sessions index,
 * asking for nothing due), 503 when it does not within 2 s or the server is draining
 * for shutdown (readiness: a load balancer stops sending new work). Each other
 * dependency is reported by name (`ok`, or `unavailable` with what it degrades) without
 * failing readiness. Neither route needs a credential or reveals more than that.
 */
export function healthRoutes(store: StorePort, draining: () => boolean, checks: readonly ReadinessCheck[] = []): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    if (draining()) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const [storeOk, ...others] = await Promise.all([
      within(store.dueSessions(0, 1), READY_TIMEOUT_MS).then(
        () => true,
        () => false,
      ),
      ...checks.map((c) =>
        within(c.check(), READY_TIMEOUT_MS).then(
          () => null,
          () => c.degrades,
        ),
      ),
    ]);
    const dependencies = Object.fromEntries(checks.map((c, i) => [c.name, others[i] === null ? 'ok' : `unavailable: ${others[i]}`]));
    if (!storeOk) res.status(503).json({ status: 'store_unavailable', ...(checks.length ? { dependencies } : {}) });
    else res.json({ status: others.every((x) => x === null) ? 'ready' : 'degraded', ...(checks.length ? { dependencies } : {}) });
  });
  return router;
}
