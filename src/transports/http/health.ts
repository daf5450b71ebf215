import express, { type Router } from 'express';
import type { StorePort } from '../../store/port.js';

/** How long /readyz waits for the store before saying it is not ready. */
const READY_TIMEOUT_MS = 2_000;

/**
 * `GET /healthz`: 200 while the process is up (liveness). `GET /readyz`: 200 when the
 * store answers a cheap indexed query on a migrated table (the due-sessions index,
 * asking for nothing due), 503 when it does not within 2 s or the server is draining
 * for shutdown (readiness: a load balancer stops sending new work). Neither needs a
 * credential nor reveals more than a status word.
 */
export function healthRoutes(store: StorePort, draining: () => boolean): Router {
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
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        store.dueSessions(0, 1),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS);
        }),
      ]);
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'store_unavailable' });
    } finally {
      clearTimeout(timer);
    }
  });
  return router;
}
