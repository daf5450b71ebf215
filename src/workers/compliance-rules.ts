import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config.js';
import { parseDuration } from '../domain/duration.js';

/**
 * The compliance worker's rule set. The default below is documented in the README;
 * a JSON file (`rules-file` / `LONGHAUL_RULES_FILE`) overrides any part of it — each
 * top-level key replaces the default's key of the same name, and a rule's fields
 * merge over the default rule's:
 *
 * ```json
 * {
 *   "largeTransaction": { "threshold": 5000, "currency": "EUR" },
 *   "watchList": { "names": ["Globex Holdings"] },
 *   "requiredDocuments": { "documents": ["bank_statement", "beneficial_ownership"] }
 * }
 * ```
 *
 * - `evidenceSignal` / `defaultWait`: the signal compliance waits for when its task
 *   was delegated without `waitFor`, and for how long (from the task's creation).
 * - `largeTransaction`: every transaction in the evidence whose amount is above
 *   `threshold` (in `currency`, or any currency when the evidence names none) is flagged.
 * - `watchList`: a counterparty is flagged when it is in `names`, or when a line of
 *   the document sources names it together with one of `markers` ("watch list", …).
 * - `requiredDocuments`: each of `documents` missing from the evidence's `documents`
 *   list is flagged.
 * - Each rule's `policyQuery` finds the policy passage a flag cites in the sources.
 */
const Rule = z.object({ enabled: z.boolean().describe('false switches the rule off'), policyQuery: z.string().min(1).describe('words that find the policy passage to cite') });

const RulesSchema = z
  .object({
    evidenceSignal: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be a signal name such as "bank_data"'),
    defaultWait: z.string().refine((v) => safeDuration(v) > 0, 'must be a positive duration such as "P3D" or "72h"'),
    largeTransaction: Rule.extend({
      threshold: z.number().positive('must be a positive amount'),
      currency: z.string().min(1).max(8).nullable(),
    }),
    watchList: Rule.extend({
      markers: z.array(z.string().min(2)).min(1, 'needs at least one marker phrase'),
      names: z.array(z.string().min(2)),
    }),
    requiredDocuments: Rule.extend({
      documents: z.array(z.string().min(1)),
    }),
  })
  .strict();

export type ComplianceRules = z.infer<typeof RulesSchema>;

export const DEFAULT_RULES: ComplianceRules = Object.freeze({
  evidenceSignal: 'bank_data',
  defaultWait: 'P3D',
  largeTransaction: { enabled: true, threshold: 10_000, currency: 'EUR', policyQuery: 'transactions above threshold enhanced review' },
  watchList: {
    enabled: true,
    markers: ['watch list', 'watchlist', 'watch-list', 'sanctions list', 'sanctioned', 'do not onboard'],
    names: [],
    policyQuery: 'watch list counterparties screening',
  },
  requiredDocuments: {
    enabled: true,
    documents: ['bank_statement', 'beneficial_ownership', 'certificate_of_incorporation'],
    policyQuery: 'required documents onboarding',
  },
}) as ComplianceRules;

/** Parses rules from JSON text: defaults merged with the override; errors name the file and the field. */
export function parseRules(json: string, where = 'rules'): ComplianceRules {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new ConfigError(`rules-file: ${where} is not valid JSON (${(e as Error).message}).`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`rules-file: ${where} must hold a JSON object of rules, e.g. {"largeTransaction": {"threshold": 5000}} (the compliance prompt lists the rules in force).`);
  const merged: Record<string, unknown> = { ...DEFAULT_RULES };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const base = (DEFAULT_RULES as Record<string, unknown>)[k];
    merged[k] = base && typeof base === 'object' && v && typeof v === 'object' && !Array.isArray(v) ? { ...base, ...v } : v;
  }
  const r = RulesSchema.safeParse(merged);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new ConfigError(`rules-file: ${where} has invalid rules:\n  ${lines.join('\n  ')}`);
  }
  return r.data;
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
  return parseRules(text, rulesFile);
}

/** The default wait in milliseconds. */
export const defaultWaitMs = (rules: ComplianceRules) => safeDuration(rules.defaultWait);

function safeDuration(v: string): number {
  try {
    return parseDuration(v, 'defaultWait');
  } catch {
    return 0;
  }
}
