import { citationRef } from '../sources/citation.js';
import type { Sources } from '../sources/library.js';
import type { Evidence } from './evidence.js';
import { plain, type Flag } from './flags.js';
import type { ComplianceRules } from './rules.js';
import { policyCitation } from './thresholds.js';

/** `Certificate of Incorporation.pdf` → [certificate, of, incorporation]. */
const words = (d: string) =>
  d
    .toLowerCase()
    .replace(/\.[a-z0-9]{2,5}$/, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

/** Words that make a file name say the document is *not* there. */
const NEGATIONS = new Set(['not', 'no', 'missing', 'without', 'pending', 'requested', 'request', 'outstanding', 'unsigned', 'template', 'blank']);

/**
 * Whether the evidence holds a required document: a listed document of exactly that
 * name (`beneficial_ownership`, case and separators aside), or an attached file whose
 * name holds its words in order and no word that negates it
 * (`Certificate of Incorporation - TechCorp.pdf` is a certificate_of_incorporation;
 * `not_a_certificate_of_incorporation.pdf` and `bank_statement_requested.txt` are not).
 */
export function holdsDocument(evidence: Pick<Evidence, 'documents' | 'attachedFiles'>, required: string): boolean {
  const want = words(required);
  if (!want.length) return true;
  const key = want.join('_');
  if ((evidence.documents ?? []).some((d) => words(d).join('_') === key)) return true;
  return evidence.attachedFiles.some((f) => {
    const w = words(f);
    if (w.some((x) => NEGATIONS.has(x))) return false;
    return w.some((_, i) => want.every((x, k) => w[i + k] === x));
  });
}

/** Each required document the evidence neither lists nor attaches, citing the policy line that requires it. */
export async function documentFlags(rules: ComplianceRules, evidence: Evidence, sources: Sources): Promise<Flag[]> {
  const rd = rules.requiredDocuments;
  // Without evidence there is nothing to check documents against: the escalation names it as missing.
  if (!rd.documents.length || !evidence.signals.length) return [];
  const none = evidence.documents === null && !evidence.attachedFiles.length;
  const out: Flag[] = [];
  for (const doc of rd.documents) {
    if (holdsDocument(evidence, doc)) continue;
    const spaced = doc.replace(/[_-]+/g, ' ');
    const policy = await policyCitation(sources, `${rd.policyQuery} ${spaced}`, (l) => l.toLowerCase().includes(spaced.toLowerCase()) || l.includes(doc));
    out.push({
      rule: 'missing_document',
      text: none ? `Required document "${plain(doc)}" cannot be confirmed: the evidence lists and attaches no documents.` : `Required document "${plain(doc)}" is neither listed in nor attached to the evidence.`,
      transaction: null,
      evidence: null,
      citation: policy,
      ruleSource: policy ? citationRef(policy) : 'rules file: requiredDocuments',
    });
  }
  return out;
}
