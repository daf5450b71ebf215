import type { Config } from '../../config.js';
import { nullLogger } from '../../logger.js';
import { TokensFile } from './tokens-file.js';

/**
 * The tenants whose background work (workers, extraction, sources) a `serve --http`
 * process runs — `createApp`'s `servedTenants`. An OAuth issuer can name any tenant, so
 * with one every tenant is served (null); otherwise the tenants the tokens file names; a
 * loopback server without credentials serves the configured tenant.
 *
 * `tenantsFileTenants`: the tenants of LONGHAUL_TENANTS_FILE, once that file is wired in
 * (they are served too, whichever credentials name them).
 */
export function httpServedTenants(config: Readonly<Config>, tokenTenants: readonly string[], tenantsFileTenants: readonly string[] = []): readonly string[] | null {
  if (config.http.oauth) return null;
  if (config.http.tokensFile) return [...new Set([...tokenTenants, ...tenantsFileTenants])];
  return [...new Set([config.tenant, ...tenantsFileTenants])];
}

/**
 * The tenants a `serve --http` process serves, kept current: `current` goes to
 * `createApp` as its `servedTenants` (the worker runtime and extraction ask it on every
 * pass); `startHttpServer` updates it whenever the tokens file is re-read.
 */
export class HttpServedTenants {
  private served: readonly string[] | null;

  constructor(
    private readonly config: Readonly<Config>,
    tokenTenants: readonly string[],
    private readonly tenantsFileTenants: readonly string[] = [],
  ) {
    this.served = this.compute(tokenTenants);
  }

  /** The tenants served now (null: every tenant). */
  readonly current = (): readonly string[] | null => this.served;

  /**
   * The tokens file now names these tenants. Called only for a file that was read: a file
   * that went missing or invalid grants nothing, but stops no tenant's background work.
   */
  update(tokenTenants: readonly string[]): void {
    this.served = this.compute(tokenTenants);
  }

  private compute(tokenTenants: readonly string[]): readonly string[] | null {
    const t = httpServedTenants(this.config, tokenTenants, this.tenantsFileTenants);
    return t && Object.freeze([...t]);
  }
}

/** Reads the tokens file as `serve --http` will (ConfigError when missing or invalid): its tenants, for httpServedTenants. */
export function tokenFileTenants(config: Readonly<Config>): string[] {
  if (!config.http.tokensFile) return [];
  const file = new TokensFile(config.http.tokensFile, nullLogger);
  return [...new Set(file.load().map((t) => t.tenant))];
}
