/**
 * Bank statements written the way banks write them, from one list of transactions, for
 * the compliance worker's tests and its evaluation: a JSON export (the shape),
 * a German CSV export (semicolons, decimal commas, signed amounts), ISO 20022 camt.053
 * XML and SWIFT MT940.
 */

export interface StatementTx {
  date: string;
  /** Positive: money out to `party` (debit); negative: money in from `party` (credit). */
  amount: number;
  currency: string;
  party: string;
  memo: string;
  /** Planted: the checks must flag it. Clean: they must not. */
  planted: boolean;
}

/** The watch list the evaluation screens against: `name,country,listed_on,reason`, as a team keeps it. */
export const WATCH_LIST_CSV = [
  'name,country,listed_on,reason',
  'Orion Shell Holdings Ltd,CY,2026-05-14,Shell company; adverse media',
  'Soylent Trading SA,PA,2025-11-02,Sanctions evasion indicators',
  'Globex Holdings Ltd,CY,2026-06-01,Procurement kickbacks',
  'Initrode Ventures LLC,AE,2024-03-19,Fraud investigation',
].join('\n');

/** Rates for the evaluation's rules: units of EUR per unit of the currency. */
export const RATES = [
  { date: '2026-10-01', USD: 0.92, GBP: 1.15, CHF: 1.04 },
  { date: '2026-11-01', USD: 0.919, GBP: 1.152, CHF: 1.041 },
];

/** Planted (watch-listed under another spelling, or above EUR 10,000 after conversion) and clean (near-miss names, amounts just under). */
export const EVALUATION: StatementTx[] = [
  { date: '2026-11-03', amount: 620_000, currency: 'USD', party: 'ORION SHELL HOLDINGS LIMITED', memo: 'Consulting fee 117', planted: true },
  { date: '2026-11-17', amount: 620_000, currency: 'USD', party: 'Orion Shell Holdings, Ltd.', memo: 'Consulting fee 118', planted: true },
  { date: '2026-11-04', amount: 1_250, currency: 'EUR', party: 'Oríon Shell Holdings Ltd', memo: 'Travel', planted: true },
  { date: '2026-11-05', amount: 980, currency: 'EUR', party: 'Soylent Trading S.A.', memo: 'Samples', planted: true },
  { date: '2026-11-06', amount: 3_400, currency: 'GBP', party: 'GLOBEX HOLDINGS LTD (CYPRUS)', memo: 'Procurement', planted: true },
  { date: '2026-11-07', amount: -2_000, currency: 'EUR', party: 'Initrode Ventures L.L.C.', memo: 'Refund', planted: true },
  { date: '2026-11-08', amount: 25_000, currency: 'EUR', party: 'Hanse Maschinenbau GmbH', memo: 'Machine parts', planted: true },
  { date: '2026-11-09', amount: 9_500, currency: 'GBP', party: 'Thames Consulting Ltd', memo: 'Audit support', planted: true },
  { date: '2026-11-10', amount: 12_000, currency: 'CHF', party: 'Alpen Treuhand AG', memo: 'Fiduciary services', planted: true },
  { date: '2026-11-11', amount: -48_000, currency: 'USD', party: 'Acme Retail Inc', memo: 'Customer payment', planted: true },
  { date: '2026-11-03', amount: 4_200, currency: 'EUR', party: 'Orion Shipping Holdings Ltd', memo: 'Freight', planted: false },
  { date: '2026-11-04', amount: 3_100, currency: 'EUR', party: 'Orion Holdings Ltd', memo: 'Rent', planted: false },
  { date: '2026-11-05', amount: 800, currency: 'EUR', party: 'Shell Holdings Ltd', memo: 'Fuel', planted: false },
  { date: '2026-11-06', amount: 1_900, currency: 'EUR', party: 'Soylent Foods Inc', memo: 'Catering', planted: false },
  { date: '2026-11-07', amount: 5_000, currency: 'EUR', party: 'Globex Logistics BV', memo: 'Warehousing', planted: false },
  { date: '2026-11-08', amount: 9_999.99, currency: 'EUR', party: 'Wayne Freight', memo: 'Shipping', planted: false },
  { date: '2026-11-09', amount: 10_000, currency: 'EUR', party: 'Umbrella Logistics BV', memo: 'Logistics', planted: false },
  { date: '2026-11-10', amount: 9_000, currency: 'USD', party: 'Initech Services', memo: 'IT services', planted: false },
  { date: '2026-11-12', amount: 8_000, currency: 'GBP', party: 'Stark Components plc', memo: 'Parts', planted: false },
  { date: '2026-11-13', amount: -7_500, currency: 'CHF', party: 'Zürcher Handels AG', memo: 'Customer payment', planted: false },
];

/** The shape: `{"transactions": [{"date", "to" | "from", "amount", "currency"}]}`. */
export function jsonExport(txs: readonly StatementTx[]): string {
  return JSON.stringify(
    {
      bank: 'Hanse Bank AG',
      account: { iban: 'DE89370400440532013000', holder: 'TechCorp GmbH' },
      transactions: txs.map((t, i) => ({
        id: `T${1000 + i}`,
        date: t.date,
        ...(t.amount >= 0 ? { to: t.party } : { from: t.party }),
        amount: Math.abs(t.amount),
        direction: t.amount >= 0 ? 'out' : 'in',
        currency: t.currency,
        description: t.memo,
      })),
    },
    null,
    2,
  );
}

const de = (n: number) => n.toLocaleString('de-DE', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dmy = (d: string) => d.split('-').reverse().join('.');

/** A German bank's CSV export: a preamble, `;` separators, decimal commas, signed amounts. */
export function germanCsv(txs: readonly StatementTx[]): string {
  return [
    'Kontoauszug;Girokonto',
    'IBAN;DE89370400440532013000',
    'Zeitraum;01.11.2026 - 30.11.2026',
    '',
    'Buchungstag;Valuta;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Währung',
    ...txs.map((t) => `${dmy(t.date)};${dmy(t.date)};"${t.party}";"${t.memo}";${de(-t.amount)};${t.currency}`),
  ].join('\r\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** ISO 20022 camt.053.001.02: one statement, one entry per transaction, the counterparty in RltdPties. */
export function camt053(txs: readonly StatementTx[]): string {
  const entries = txs.map((t, i) => {
    const out = t.amount >= 0;
    const party = out ? `<Cdtr><Nm>${esc(t.party)}</Nm></Cdtr>` : `<Dbtr><Nm>${esc(t.party)}</Nm></Dbtr>`;
    return `      <Ntry>
        <NtryRef>${i + 1}</NtryRef>
        <Amt Ccy="${t.currency}">${Math.abs(t.amount).toFixed(2)}</Amt>
        <CdtDbtInd>${out ? 'DBIT' : 'CRDT'}</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>${t.date}</Dt></BookgDt>
        <ValDt><Dt>${t.date}</Dt></ValDt>
        <AcctSvcrRef>REF-${i + 1}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>E2E-${i + 1}</EndToEndId></Refs>
          <RltdPties>${party}</RltdPties>
          <RmtInf><Ustrd>${esc(t.memo)}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-2026-11</MsgId><CreDtTm>2026-11-30T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-2026-11-01</Id>
      <CreDtTm>2026-11-30T18:00:00</CreDtTm>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
${entries.join('\n')}
    </Stmt>
  </BkToCstmrStmt>
</Document>
`;
}

/** SWIFT MT940: one statement per currency (an MT940 statement has one), the counterparty in `:86:` as `/NAME/`. */
export function mt940(txs: readonly StatementTx[]): string {
  const byCurrency = new Map<string, StatementTx[]>();
  for (const t of txs) byCurrency.set(t.currency, [...(byCurrency.get(t.currency) ?? []), t]);
  const yymmdd = (d: string) => d.slice(2).replace(/-/g, '');
  const amt = (n: number) => Math.abs(n).toFixed(2).replace('.', ',');
  const out: string[] = [];
  let n = 0;
  for (const [cur, list] of byCurrency) {
    n++;
    out.push(`:20:STMT${n}`, `:25:DE89370400440532013000${cur}`, `:28C:${String(n).padStart(5, '0')}/001`, `:60F:C261101${cur}1000000,00`);
    for (const t of list) {
      out.push(`:61:${yymmdd(t.date)}${yymmdd(t.date).slice(2)}${t.amount >= 0 ? 'D' : 'C'}${amt(t.amount)}NTRFNONREF`);
      out.push(`:86:/${t.amount >= 0 ? 'BENM' : 'ORDP'}//NAME/${t.party}/REMI/${t.memo}`);
    }
    out.push(`:62F:C261130${cur}1000000,00`, '-');
  }
  return out.join('\r\n');
}
