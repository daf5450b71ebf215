import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvidenceItem, type ParsedEvidence } from '../../../src/workers/evidence/index.js';
import { attachment, payload, skipped } from './helpers.js';

/**
 * "Nothing silently passes": whatever shape the data has, every non-empty row either
 * becomes a Transaction (with problems naming what could not be read) or is counted as
 * a skipped total/balance row — or the whole item is unreadable.
 */

// Random words avoid vowels, so they never spell a synonym or a "Total"/"Saldo" label by chance.
const word = fc.string({ unit: fc.constantFrom(...'bcdfghjklmnpqrstvwxz'), minLength: 1, maxLength: 8 });
const amountText = fc.oneof(
  fc.integer({ min: -10_000_000, max: 10_000_000 }).map((c) => (c / 100).toFixed(2)),
  fc.integer({ min: -10_000_000, max: 10_000_000 }).map((c) => (c / 100).toLocaleString('de-DE', { minimumFractionDigits: 2 })),
  fc.integer({ min: 0, max: 10_000_000 }).map((c) => `(${(c / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })})`),
  fc.constantFrom('12,3x', 'n/a', '--', '1.2.3', '€€'),
);
const dateText = fc.oneof(
  fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10).split('-').reverse().join('.')),
  fc.constantFrom('yesterday', '31.02.2026', ''),
);
const currencyText = fc.constantFrom('EUR', 'usd', '€', 'GBP', 'XYZ', '', '$');
const party = fc.oneof(word.map((w) => `${w} GmbH`), fc.constant(''));

/** True when a JSON row has at least one non-blank leaf (what the parser counts as non-empty). */
const nonBlank = (v: unknown): boolean =>
  v !== null && v !== undefined && (typeof v === 'string' ? v.trim() !== '' : typeof v === 'object' ? Object.values(v as object).some(nonBlank) : true);

function checkInvariant(r: ParsedEvidence, rows: number, totals: number, empties: number) {
  const s = skipped(r);
  for (const t of r.transactions) {
    if (t.amount === null) expect(t.problems.join(' ')).toMatch(/amount|entry is not an object/);
    if (t.currency === null) expect(t.problems.join(' ')).toMatch(/currency|entry is not an object/);
    if (t.counterparty === null) expect(t.problems.join(' ')).toMatch(/counterparty|entry is not an object/);
  }
  if (r.unreadable) {
    expect(r.transactions).toEqual([]);
    expect(Array.isArray(r.unreadable.fieldsSeen)).toBe(true);
    return;
  }
  expect(r.transactions.length + s.totals).toBe(rows);
  expect(s.totals).toBe(totals);
  expect(s.empty).toBe(empties);
  if (rows - totals > 0) expect(r.transactions.length).toBeGreaterThan(0);
}

describe('evidence: nothing passes silently (property)', () => {
  it('every row of any JSON shape is a transaction, a counted total, or the item is unreadable', async () => {
    const amountKey = fc.constantFrom('amount', 'Betrag', 'amt', 'transactionAmount.amount', 'value');
    const txRow = fc.record(
      {
        amount: fc.tuple(amountKey, fc.oneof(amountText, fc.double({ min: -1e7, max: 1e7, noNaN: true }), fc.constant(null))),
        date: fc.tuple(fc.constantFrom('date', 'bookingDate', 'booking_date', 'Buchungstag'), dateText),
        party: fc.tuple(fc.constantFrom('to', 'counterparty', 'creditor.name', 'payee', 'name'), party),
        currency: fc.tuple(fc.constantFrom('currency', 'ccy', 'transactionAmount.currency'), currencyText),
        extra: fc.dictionary(word.map((w) => `x${w}`), fc.oneof(word, fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 3 }),
      },
      { requiredKeys: ['extra'] },
    ).filter((r) => r.amount !== undefined || (r.date !== undefined && r.party !== undefined));
    const row = fc.oneof(
      { weight: 8, arbitrary: txRow.map((r) => ({ kind: 'tx' as const, value: build(r) })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const, value: {} }) },
      { weight: 1, arbitrary: amountText.map((a) => ({ kind: 'total' as const, value: { description: 'Total', amount: a } })) },
    );
    const list = fc.array(row, { minLength: 1, maxLength: 12 }).filter((rs) => rs.some((r) => r.kind === 'tx'));
    const shape = fc.oneof(
      list.map((l) => ({ lists: [l], body: l.map((r) => r.value) as unknown })),
      fc.tuple(fc.constantFrom('transactions', 'payments', 'entries', 'items', 'xyz'), list).map(([k, l]) => ({ lists: [l], body: { [k]: l.map((r) => r.value) } })),
      fc.tuple(list, list).map(([a, b]) => ({ lists: [a, b], body: { data: { statements: [{ currency: 'EUR', entries: a.map((r) => r.value) }, { entries: b.map((r) => r.value) }] } } })),
    );
    await fc.assert(
      fc.asyncProperty(shape, async ({ lists, body }) => {
        const all = lists.flat();
        const r = await parseEvidenceItem(payload(body));
        const nonEmpty = all.filter((x) => nonBlank(x.value));
        checkInvariant(r, nonEmpty.length, all.filter((x) => x.kind === 'total').length, all.length - nonEmpty.length);
      }),
      { numRuns: 150 },
    );
  });

  it('every row of a random CSV is a transaction, a counted total, or the file is unreadable', async () => {
    const kinds = ['amount', 'date', 'party', 'currency', 'text'] as const;
    const names: Record<(typeof kinds)[number], string[]> = {
      amount: ['Amount', 'Betrag', 'Paid out', 'Amount (EUR)'],
      date: ['Date', 'Buchungstag', 'Value date'],
      party: ['Payee', 'Auftraggeber/Empfänger', 'Counterparty'],
      currency: ['Currency', 'Währung'],
      text: ['Memo', 'Verwendungszweck'],
    };
    const column = fc.tuple(fc.constantFrom(...kinds), fc.boolean(), word).map(([kind, named, w]) => ({ kind, name: named ? (names[kind][w.length % names[kind].length] as string) : w }));
    const table = fc
      .record({
        delimiter: fc.constantFrom(',', ';', '\t', '|'),
        columns: fc.uniqueArray(column, { minLength: 2, maxLength: 6, selector: (c) => c.name }),
        preamble: fc.array(word.map((w) => `Account: ${w}`), { maxLength: 2 }),
        rowKinds: fc.array(fc.constantFrom('tx', 'tx', 'tx', 'tx', 'empty', 'total'), { maxLength: 20 }),
        seed: fc.array(fc.tuple(amountText, dateText, party, currencyText, word), { minLength: 20, maxLength: 20 }),
        textNoise: fc.constantFrom('', ' "quoted"', ' and more', '\nsecond line'),
      })
      .map((t) => {
        const cell = (s: string) => (/[\n"]/.test(s) || s.includes(t.delimiter) ? `"${s.replace(/"/g, '""')}"` : s);
        const lines = [...t.preamble, t.columns.map((c) => cell(c.name)).join(t.delimiter)];
        t.rowKinds.forEach((k, i) => {
          const [a, d, p, c, w] = t.seed[i] as [string, string, string, string, string];
          const value = { amount: a, date: d, party: p, currency: c, text: `${w}${t.textNoise}` };
          if (k === 'empty') lines.push(t.columns.map(() => '').join(t.delimiter));
          else if (k === 'total') lines.push(t.columns.map((col, j) => (j === 0 ? 'Total' : col.kind === 'amount' ? cell(a) : '')).join(t.delimiter));
          else lines.push(t.columns.map((col) => cell(value[col.kind])).join(t.delimiter));
        });
        // A data row whose cells are all blank is an empty row, whatever the generator meant.
        const rowCells = t.rowKinds.map((k, i) => (k === 'tx' ? t.columns.map((col) => ({ amount: t.seed[i]?.[0], date: t.seed[i]?.[1], party: t.seed[i]?.[2], currency: t.seed[i]?.[3], text: 'x' })[col.kind]) : []));
        const blankTx = t.rowKinds.filter((k, i) => k === 'tx' && rowCells[i]?.every((v) => !v?.trim())).length;
        const totals = t.rowKinds.filter((k) => k === 'total').length;
        const empties = t.rowKinds.filter((k) => k === 'empty').length + blankTx;
        return { text: lines.join('\n') + '\n', rows: t.rowKinds.length - empties, totals, empties };
      });
    await fc.assert(
      fc.asyncProperty(table, async ({ text, rows, totals, empties }) => {
        const r = await parseEvidenceItem(attachment('export.csv', text, 'text/csv'));
        checkInvariant(r, rows, totals, empties);
      }),
      { numRuns: 150 },
    );
  });
});

/** Builds a JSON row from [key, value] pairs; dotted keys nest (`creditor.name`). */
function build(r: { extra: Record<string, unknown> } & Partial<Record<'amount' | 'date' | 'party' | 'currency', [string, unknown]>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r.extra };
  for (const pair of [r.amount, r.date, r.party, r.currency]) {
    if (!pair) continue;
    const [key, value] = pair;
    const [head, tail] = key.split('.') as [string, string | undefined];
    if (tail) out[head] = { ...(out[head] as object), [tail]: value };
    else out[head] = value;
  }
  return out;
}
