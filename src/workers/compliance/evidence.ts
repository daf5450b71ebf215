import type { Signal, SignalAttachment } from '../../domain/task.js';
import { parseEvidenceItem, tabularRecords, validateMapping } from '../evidence/index.js';
import type { EvidenceItem, EvidenceMappingOverride, ParsedEvidence, Transaction } from '../evidence/types.js';
import type { RoleContext } from '../role.js';

/** Everything the evidence signals held, read. */
export interface Evidence {
  signals: Signal[];
  /** One entry per payload and per attachment, in delivery order. */
  items: Array<ParsedEvidence & { attachmentMeta: SignalAttachment | null }>;
  transactions: Transaction[];
  /** Documents the evidence lists (`documents: [...]`), and `bank_statement` for a statement file; null when no signal listed any. */
  documents: string[] | null;
  /** The file names of attachments that are documents (PDF, Word, images…), not transaction data. */
  attachedFiles: string[];
  accounts: string[];
}

const STATEMENT_FORMATS = new Set<ParsedEvidence['format']>(['camt.052', 'camt.053', 'mt940', 'csv', 'xlsx']);

/** Share of rows a model's mapping must read before it is used. */
const MODEL_MAPPING_MIN = 0.8;

/**
 * Reads every evidence signal: its JSON payload (when it holds anything) and each of
 * its attachments, through the format parsers, with the rules' `evidenceMapping`
 * over the inference. An item the inference cannot read, given a model, gets one
 * chance: the model proposes a mapping from the fields and a few rows, and it is used
 * only if it reads at least 80% of the rows — a model may add, never make things up.
 */
export async function readEvidence(
  ctx: Pick<RoleContext, 'readAttachment' | 'model' | 'logger' | 'abort'>,
  signals: readonly Signal[],
  rulesMapping: (EvidenceMappingOverride & { defaultCurrency?: string }) | null,
): Promise<Evidence> {
  const { defaultCurrency, ...fields } = rulesMapping ?? {};
  const mapping = Object.keys(fields).length ? fields : null;
  const ev: Evidence = { signals: [...signals], items: [], transactions: [], documents: null, attachedFiles: [], accounts: [] };
  for (const s of signals) {
    const inputs: Array<{ item: EvidenceItem; meta: SignalAttachment | null }> = [];
    if (s.payload !== null && s.payload !== undefined) inputs.push({ item: { signalId: s.id, kind: 'payload', name: null, mediaType: 'application/json', payload: s.payload }, meta: null });
    for (const a of s.attachments ?? []) {
      const content = await ctx.readAttachment(s.id, a.index);
      if (!content) {
        ev.items.push({ ...missingAttachment(s, a), attachmentMeta: a });
        continue;
      }
      inputs.push({ item: { signalId: s.id, kind: 'attachment', name: a.name, mediaType: a.mediaType, content }, meta: a });
    }
    for (const { item, meta } of inputs) {
      let parsed = await parseEvidenceItem(item, mapping ? { mapping } : undefined);
      if (parsed.unreadable && ctx.model && !ctx.abort.aborted) parsed = (await withModelMapping(ctx, item, parsed, mapping)) ?? parsed;
      if (defaultCurrency) parsed = withDefaultCurrency(parsed, defaultCurrency);
      if (meta && (s.attachments ?? []).some((o) => o.name === meta.name && o.index !== meta.index)) parsed = distinguished(parsed, meta);
      ev.items.push({ ...parsed, attachmentMeta: meta });
    }
  }
  for (const it of ev.items) {
    ev.transactions.push(...it.transactions);
    ev.accounts.push(...it.accounts.filter((a) => !ev.accounts.includes(a)));
    if (it.attachmentMeta && it.format === 'document') {
      ev.attachedFiles.push(it.attachmentMeta.name);
      continue;
    }
    // A statement file the bank sent (camt.053, MT940, a CSV or spreadsheet export) is the bank statement.
    const listed = it.attachmentMeta && STATEMENT_FORMATS.has(it.format) && it.transactions.length ? [...it.documents, 'bank_statement'] : it.documents;
    if (listed.length) ev.documents = [...(ev.documents ?? []), ...listed];
  }
  // A payload with an empty `documents: []` lists documents — none — which is not the same as listing none at all.
  if (ev.documents === null && signals.some((s) => Array.isArray((s.payload as { documents?: unknown } | null)?.documents))) ev.documents = [];
  return ev;
}

/**
 * Two attachments of one signal with the same file name: their transactions get the
 * attachment's position in their id and location, so neither hides the other.
 */
function distinguished(parsed: ParsedEvidence, meta: SignalAttachment): ParsedEvidence {
  const label = `${meta.name} (file ${meta.index + 1})`;
  return {
    ...parsed,
    attachment: label,
    transactions: parsed.transactions.map((t) => ({ ...t, id: `${t.id}#${meta.index}`, location: { ...t.location, attachment: label } })),
  };
}

/** Transactions that name no currency get the rules' `defaultCurrency`, and the item says so. */
function withDefaultCurrency(parsed: ParsedEvidence, currency: string): ParsedEvidence {
  let n = 0;
  const transactions = parsed.transactions.map((t) => {
    if (t.currency) return t;
    n++;
    return { ...t, currency, problems: t.problems.filter((p) => p !== 'no currency') };
  });
  return n ? { ...parsed, transactions, notes: [...parsed.notes, `${n} transaction(s) without a currency read as ${currency} (evidenceMapping.defaultCurrency)`] } : parsed;
}

function missingAttachment(s: Signal, a: SignalAttachment): ParsedEvidence {
  return {
    signalId: s.id,
    attachment: a.name,
    format: 'unknown',
    mapping: null,
    transactions: [],
    documents: [],
    accounts: [],
    unreadable: { reason: `attachment ${a.name} (${a.size} bytes) is missing from the store`, fieldsSeen: [] },
    notes: [],
  };
}

const MAPPING_FIELDS = ['transactions', 'date', 'amount', 'debit', 'credit', 'currency', 'direction', 'counterparty', 'counterpartyAccount', 'reference', 'description'] as const;

async function withModelMapping(ctx: Pick<RoleContext, 'model' | 'logger' | 'abort'>, item: EvidenceItem, parsed: ParsedEvidence, rulesMapping: EvidenceMappingOverride | null): Promise<ParsedEvidence | null> {
  const table = await tabularRecords(item);
  if (!table || !table.records.length) return null;
  const sample = table.records.slice(0, 5).map((r) => r.fields);
  let proposal: EvidenceMappingOverride;
  try {
    const answer = await ctx.model!.complete({
      system:
        'You map bank transaction data to fields. Answer with one JSON object only, no prose: keys among date, amount, debit, credit, currency, direction, counterparty, counterpartyAccount, reference, description; each value is one of the field names given. Leave out keys with no matching field.',
      prompt: `Fields: ${table.fieldsSeen.join(', ')}\nRows:\n${sample.map((r) => JSON.stringify(r)).join('\n')}`,
      maxTokens: 300,
    });
    const json = JSON.parse(answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1)) as Record<string, unknown>;
    proposal = {};
    for (const k of MAPPING_FIELDS) {
      const v = json[k];
      if (typeof v === 'string' && table.fieldsSeen.includes(v)) (proposal as Record<string, string>)[k] = v;
    }
  } catch (e) {
    ctx.logger.warn('model could not propose an evidence mapping', { error: (e as Error).message });
    return null;
  }
  const merged = { ...(rulesMapping ?? {}), ...proposal };
  const check = validateMapping(
    table.records.map((r) => r.fields),
    merged,
  );
  if (!Object.keys(proposal).length || !check.total || check.readable / check.total < MODEL_MAPPING_MIN) {
    return { ...parsed, notes: [...parsed.notes, `a model proposed a mapping (${describe(proposal) || 'none'}), but it read only ${check.readable} of ${check.total} rows; not used`] };
  }
  const again = await parseEvidenceItem(item, { mapping: merged, mappingBy: 'model' });
  if (again.unreadable) return null;
  return { ...again, notes: [...again.notes, `mapping proposed by a model and checked against the data: it read ${check.readable} of ${check.total} rows`] };
}

const describe = (m: EvidenceMappingOverride) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ← ${v}`)
    .join(', ');
