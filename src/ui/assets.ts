import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LonghaulError } from '../domain/errors.js';

/**
 * The browser bundles scripts/build-ui.ts writes into dist/ui/ (`npm run build`), read
 * once on first use (no I/O on import). The same path resolves from src/ui/ (tests run
 * the sources) and dist/ui/ (the built server): both are two levels below the package.
 */
const DIR = new URL('../../dist/ui/', import.meta.url);

export interface UiAsset {
  body: string;
  /** A strong ETag: the SHA-256 of the body. */
  etag: string;
}

const cache = new Map<string, UiAsset>();

/** One built asset (`investigation-app.html`, `web.js`, `web.css`); a clear error when the UI was not built. */
export function uiAsset(name: 'investigation-app.html' | 'web.js' | 'web.css'): UiAsset {
  let a = cache.get(name);
  if (!a) {
    let body: string;
    try {
      body = readFileSync(new URL(name, DIR), 'utf8');
    } catch {
      throw new LonghaulError('internal', `The investigation view is not built (dist/ui/${name} is missing); run \`npm run build\`.`);
    }
    a = { body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` };
    cache.set(name, a);
  }
  return a;
}
