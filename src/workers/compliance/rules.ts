import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../config.js';
import { parseDuration } from '../../domain/duration.js';
import { parseRates, type RateTable } from './rates.js';

/**
 * The compliance worker's rule set. The default below is documented in the README; a
 * JSON file (`rules-file` / `LONGHAUL_RULES_FILE`) overrides any part of it — each
 * top-level key replaces the default's key of the same name, and a rule's fields merge
 * over the default rule's:
 *
 * ```json
 * {
 *   "currency": { "base": "EUR", "rates": [{ "date": "2026-10-01", "USD": 0.9312 }], "ratesFile": "rates.csv" },
 *   "largeTransaction": { "threshold": 10000, "currency": "EUR", "fromPolicy": true },
 *   "watchList": { "lists": ["docs/lists/watch-list.csv", { "ref": "erp:sanctions", "nameColumn": "entity" }], "names": ["Globex Holdings"] },
 *   "requiredDocuments": { "documents": ["bank_statement", "beneficial_ownership"] },
 *   "evidenceMapping": { "counterparty": "beneficiary.name", "amount": "amt" }
 * }
 * ```
 *
 * - `evidenceSignal` / `defaultWait`: the signal compliance waits for when its task was
 *   delegated without `waitFor`, and for how long (from the task's creation).
 * - `currency`: amounts are compared after conversion into `base` with the rate dated on
 *   or before the transaction (`rates`, and/or `ratesFile`: CSV `date,currency,rate` or
 *   JSON; a rate is units of `base` per unit of the currency). A currency without a
 *   usable rate leaves the transaction unchecked and raises a "needs review" flag.
 * - `largeTransaction`: every transaction above `threshold` `currency` is flagged;
 *   with `fromPolicy`, thresholds written in the policy sources ("any single payment
 *   above USD 100,000 requires dual approval") are applied too, citing their line.
 * - `watchList`: counterparties are screened (normalised names, token-set similarity ≥
 *   `minScore`) against `names`, the `lists` (a file of a folder source by its path, a
 *   sheet, or an allow-listed table `source:table`), and — with `detectLists` — every
 *   source file or table named like a watch or sanctions list; a source line naming a
 *   counterparty together with one of `markers` counts too.
 * - `requiredDocuments`: each of `documents` neither listed by the evidence nor attached
 *   to it is flagged.
 * - `evidenceMapping`: which evidence field is the date, amount, counterparty… for
 *   shapes the inference cannot read (it wins over the inference for the fields it names);
 *   `defaultCurrency` is the currency of transactions that name none (an export without a
 *   currency column), said in the report.
 * - Each rule's `policyQuery` finds the policy passage a flag cites in the sources.
 */
const Rule = z.object({ enabled: z.boolean().describe('false switches the rule off'), policyQuery: z.string().min(1).describe('words that find the policy passage to cite') });
const CURRENCY = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"');
const ListRef = z.union([z.string().min(1), z.object({ ref: z.string().min(1), nameColumn: z.string().min(1).optional(), sheet: z.string().min(1).optional() }).strict()]);
const Mapping = z
  .object({
    transactions: z.string(),
    date: z.string(),
    amount: z.string(),
    debit: z.string(),
    credit: z.string(),
    currency: z.string(),
    direction: z.string(),
    counterparty: z.string(),
    counterpartyAccount: z.string(),
    reference: z.string(),
    description: z.string(),
    decimal: z.enum([',', '.']),
    dateOrder: z.enum(['DMY', 'MDY', 'YMD']),
    defaultCurrency: CURRENCY,
  })
  .partial()
  .strict();

const RulesSchema = z
  .object({
    evidenceSignal: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be a signal name such as "bank_data"'),
    defaultWait: z.string().refine((v) => safeDuration(v) > 0, 'must be a positive duration such as "P3D" or "72h"'),
    currency: z
      .object({
        base: CURRENCY,
        rates: z.array(z.record(z.string(), z.union([z.string(), z.number()]))).optional(),
        ratesFile: z.string().min(1).optional(),
        maxRateAge: z.string().refine((v) => safeDuration(v) > 0, 'must be a positive duration such as "45d"'),
      })
      .strict(),
    largeTransaction: Rule.extend({
      threshold: z.number().positive('must be a positive amount'),
      currency: CURRENCY.nullable(),
      fromPolicy: z.boolean(),
    }).strict(),
    watchList: Rule.extend({
      markers: z.array(z.string().min(2)).min(1, 'needs at least one marker phrase'),
      names: z.array(z.string().min(2)),
      lists: z.array(ListRef),
      detectLists: z.boolean(),
      minScore: z.number().min(50).max(100),
    }).strict(),
    requiredDocuments: Rule.extend({
      documents: z.array(z.string().min(1)),
    }).strict(),
    evidenceMapping: Mapping.nullable(),
  })
  .strict();

type RulesData = z.infer<typeof RulesSchema>;

/** The rules in force, with the rate table they name loaded. */
export type ComplianceRules = RulesData & { readonly rateTable: RateTable };

const DEFAULTS: RulesData = {
  evidenceSignal: 'bank_data',
  defaultWait: 'P3D',
  currency: { base: 'EUR', maxRateAge: '45d' },
  largeTransaction: { enabled: true, threshold: 10_000, currency: 'EUR', fromPolicy: false, policyQuery: 'transactions above threshold enhanced review' },
  watchList: {
    enabled: true,
    markers: ['watch list', 'watchlist', 'watch-list', 'sanctions list', 'sanctioned', 'do not onboard'],
    names: [],
    lists: [],
    detectLists: true,
    minScore: 90,
    policyQuery: 'watch list counterparties screening',
  },
  requiredDocuments: {
    enabled: true,
    documents: ['bank_statement', 'beneficial_ownership', 'certificate_of_incorporation'],
    policyQuery: 'required documents onboarding',
  },
  evidenceMapping: null,
};

export const DEFAULT_RULES: ComplianceRules = Object.freeze({ ...DEFAULTS, rateTable: parseRates({ base: DEFAULTS.currency.base }) });

/**
 * Parses rules from JSON text: defaults merged with the override; errors name the file
 * and the field. A `ratesFile` is read relative to `baseDir` (the rules file's folder).
 */
export function parseRules(json: string, where = 'rules', baseDir = process.cwd()): ComplianceRules {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new ConfigError(`rules-file: ${where} is not valid JSON (${(e as Error).message}).`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`rules-file: ${where} must hold a JSON object of rules, e.g. {"largeTransaction": {"threshold": 5000}} (the compliance prompt lists the rules in force).`);
  const merged: Record<string, unknown> = { ...DEFAULTS };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const base = (DEFAULTS as Record<string, unknown>)[k];
    merged[k] = base && typeof base === 'object' && v && typeof v === 'object' && !Array.isArray(v) ? { ...base, ...v } : v;
  }
  const r = RulesSchema.safeParse(merged);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new ConfigError(`rules-file: ${where} has invalid rules:\n  ${lines.join('\n  ')}`);
  }
  const data = r.data;
  let file: { name: string; text: string } | undefined;
  if (data.currency.ratesFile) {
    const path = resolve(baseDir, data.currency.ratesFile);
    try {
      file = { name: path, text: readFileSync(path, 'utf8') };
    } catch (e) {
      throw new ConfigError(`rules-file: ${where}: currency.ratesFile ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
  }
  let rateTable: RateTable;
  try {
    rateTable = parseRates({ base: data.currency.base, rates: data.currency.rates, file });
  } catch (e) {
    throw new ConfigError(`rules-file: ${where}: currency: ${(e as Error).message}`);
  }
  const lt = data.largeTransaction;
  if (lt.currency && lt.currency !== data.currency.base && !rateTable.currencies().includes(lt.currency)) {
    throw new ConfigError(`rules-file: ${where}: largeTransaction.currency ${lt.currency} is neither currency.base (${data.currency.base}) nor a currency with a rate; add its rate or use the base.`);
  }
  return Object.freeze({ ...data, rateTable });
}

/** The rules for a config: the file's when one is set (read once, at start-up), else the defaults. */
export function loadRules(rulesFile: string | null): ComplianceRules {
  if (!rulesFile) return DEFAULT_RULES;
  let text: string;
  try {
    text = readFileSync(rulesFile, 'utf8');
  } catch (e) {
    throw new ConfigError(`rules-file (LONGHAUL_RULES_FILE=${rulesFile}): cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  return parseRules(text, rulesFile, dirname(rulesFile));
}

/** The default wait in milliseconds. */
export const defaultWaitMs = (rules: ComplianceRules) => safeDuration(rules.defaultWait);
/** The oldest a rate may be before the date it converts, in days. */
export const maxRateAgeDays = (rules: ComplianceRules) => Math.max(1, Math.round(safeDuration(rules.currency.maxRateAge) / 86_400_000));

function safeDuration(v: string): number {
  try {
    return parseDuration(v, 'duration');
  } catch {
    return 0;
  }
}
