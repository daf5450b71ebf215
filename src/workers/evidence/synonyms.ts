/**
 * Field-name synonyms: which source field (a CSV header, a flattened JSON path such as
 * `creditor.name`) reads as which transaction field. Names only — whether the values
 * fit is judged in `infer.ts`. Keys are compared compacted: lower-case, accents and
 * separators removed, so `Booking Date`, `booking_date`, `bookingDate` and
 * `Buchungstag` each hit one entry.
 */
import type { MappedField } from './types.js';

/** Which side of the payment a party/account field names: `debit` = the payee (creditor), `credit` = the payer (debtor). */
export type Side = 'debit' | 'credit' | null;

export interface NameMatch {
  role: MappedField;
  /** 3 exact synonym, 2 found inside a longer name; higher wins. */
  score: number;
  /** Lower is preferred among fields of the same role and score (booking date before value date). */
  rank: number;
  side: Side;
}

type Entry = [role: MappedField, rank: number, side?: Side];

const DICT = new Map<string, Entry>();
function add(role: MappedField, rank: number, keys: string, side: Side = null) {
  for (const k of keys.split(/\s+/).filter(Boolean)) DICT.set(k, [role, rank, side]);
}

add('date', 1, 'bookingdate bookgdt buchungstag buchungsdatum postingdate posteddate postedat posted booked bookedat bookingdatetime entrydate dateposted datumbuchung');
add('date', 2, 'transactiondate transactiondatetime txdate trandate transdate date datum completeddate completedat executiondate executedat paymentdate timestamp datetime createdat created startedat starteddate when settlementdate settledat tradedate operationdate dateoperation fecha dateop');
add('date', 4, 'time transactiontime');
add('date', 3, 'valuedate valuta valutadatum wertstellung wertstellungsdatum valdt datevaleur fechavalor');
add('amount', 1, 'transactionamount amount amt betrag umsatz montant importe bedrag txamount umsatzbetrag buchungsbetrag amountvalue instructedamount netamount');
// Not `total`/`sum`: summary lists (`byCategory: [{name, total}]`) would read as payments.
add('amount', 2, 'value gross');
add('debit', 1, 'debit debits debitamount amountdebit soll sollbetrag withdrawal withdrawals withdrawalamount paidout moneyout out ausgang ausgaben belastung debet spent outflow');
add('credit', 1, 'credit credits creditamount amountcredit haben habenbetrag deposit deposits depositamount paidin moneyin in eingang einnahmen gutschrift receipts received inflow');
add('direction', 1, 'direction creditdebitindicator debitcreditindicator cdtdbtind dc cd creditdebit debitcredit sollhaben habensoll sh drcr crdr dcindicator kennzeichen inout flow sign side indicator');
add('direction', 2, 'type transactiontype txtype entrytype');
add('currency', 1, 'currency ccy cur curr currencycode isocurrencycode currencyiso ccycode wahrung waehrung devise moneda transactioncurrency amountcurrency');
add('counterparty', 1, 'counterparty counterpartyname counterpart otherparty otherpartyname partner partnername auftraggeberempfanger auftraggeberempfaenger empfangerauftraggeber begunstigterauftraggeber auftraggeberbegunstigter begunstigterzahlungspflichtiger zahlungspflichtigerbegunstigter payeepayer payerpayee tofrom fromto zahlungsbeteiligter namezahlungsbeteiligter');
add('counterparty', 2, 'merchant merchantname vendor vendorname party partyname name');
add('counterparty', 1, 'payee payeename beneficiary beneficiaryname creditor creditorname cdtr recipient recipientname to toname empfanger empfaenger zahlungsempfanger zahlungsempfaenger begunstigter beguenstigter supplier paidto', 'debit');
add('counterparty', 1, 'payer payername debtor debtorname dbtr remitter remittername from fromname auftraggeber zahlungspflichtiger orderingparty sender sendername paidby originator originatorname', 'credit');
add('counterpartyAccount', 1, 'counterpartyiban counterpartyaccount counterpartyaccountnumber otherpartyaccount partneriban ibanauftraggeberempfanger kontonummeriban ibankontonummer');
add('counterpartyAccount', 2, 'iban account accountnumber kontonummer kontonr konto bic counterpartybic');
add('counterpartyAccount', 1, 'creditoriban creditoraccount payeeaccount payeeiban beneficiaryiban beneficiaryaccount toaccount toiban recipientiban recipientaccount empfangeriban cdtracct', 'debit');
add('counterpartyAccount', 1, 'debtoriban debtoraccount payeraccount payeriban fromaccount fromiban remitteriban auftraggeberiban dbtracct', 'credit');
add('reference', 1, 'reference ref referenz endtoendid endtoendreference e2eid e2eref eref paymentreference customerreference kundenreferenz checknumber chequenumber checkno chequeno referencenumber refnr referenceid');
add('reference', 2, 'transactionid txid transactionreference transactionref bankreference entryreference acctsvcrref');
add('reference', 3, 'id uuid mandatsreferenz mandatereference');
add('description', 1, 'description memo purpose remittanceinformation remittanceinformationunstructured remittanceinfo remittance details detail narrative narration verwendungszweck particulars transactiondetails paymentdetails beschreibung libelle omschrijving concepto ustrd usage');
add('description', 2, 'buchungstext bookingtext buchungsinformation vorgang text note notes subject comment comments information additionalinformation reason');

/** Synonyms too generic to trust without fitting values (`value`, `type`, `name`, `in`). */
const WEAK = new Set('value gross time transactiontime when created createdat type transactiontype txtype entrytype name party partyname in out konto account sign side flow indicator'.split(' '));

/** Party words inside longer names, with the side they name. */
const PARTY_WORDS: Array<[string, Side]> = [
  ['counterpart', null], ['auftraggeberempf', null], ['zahlungsbeteiligt', null], ['merchant', null], ['vendor', null], ['partner', null],
  ['payee', 'debit'], ['beneficiar', 'debit'], ['creditor', 'debit'], ['recipient', 'debit'], ['empfanger', 'debit'], ['empfaenger', 'debit'], ['begunstigt', 'debit'], ['beguenstigt', 'debit'],
  ['payer', 'credit'], ['debtor', 'credit'], ['remitter', 'credit'], ['auftraggeber', 'credit'], ['zahlungspflichtig', 'credit'], ['sender', 'credit'], ['originator', 'credit'],
];
const PARENT_SIDE: Record<string, Side> = { to: 'debit', from: 'credit', ordp: 'credit', benm: 'debit' };

/** Words that make a numeric field anything but the transaction amount. */
const NOT_AMOUNT = /balance|saldo|kontostand|running|available|limit|fee|charge|count|quantity|qty|rate|exchange|percent|tax|cashback|points|reward/;
const NAME_LEAVES = new Set(['name', 'fullname', 'displayname', 'nm', 'legalname', 'companyname', 'partyname']);
const ACCOUNT_LEAVES = new Set(['iban', 'bban', 'accountnumber', 'number', 'bic', 'bicfi', 'account', 'sortcode', 'othrid', 'maskedpan', 'pan']);

/** Lower-case, accents dropped, camelCase split: `bookingDate` → `booking date`, `Empfänger` → `empfanger`. */
export function words(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}
export const compact = (name: string): string => words(name).replace(/ /g, '');

function partySide(key: string): { found: boolean; side: Side } {
  for (const [w, side] of PARTY_WORDS) if (key.includes(w)) return { found: true, side };
  if (key in PARENT_SIDE) return { found: true, side: PARENT_SIDE[key] ?? null };
  return { found: false, side: null };
}

/**
 * What a field name reads as, from its last path segment and, for generic leaves
 * (`name`, `iban`, `amount`, `currency`), its parent (`creditor.name` → payee name).
 * Null when the name says nothing. Paths inside nested arrays (`splits[0].amount`) never match.
 */
export function matchName(path: string): NameMatch | null {
  if (path.includes('[')) return null;
  const segs = path.split('.');
  const leaf = compact(segs[segs.length - 1] ?? '');
  const parent = segs.length > 1 ? compact(segs[segs.length - 2] ?? '') : '';
  const whole = compact(path);
  if (!leaf) return null;
  const amountLike = (m: NameMatch | null) => (m && (m.role === 'amount' || m.role === 'debit' || m.role === 'credit') && NOT_AMOUNT.test(whole) ? null : m);

  if (parent) {
    const p = partySide(parent);
    if (NAME_LEAVES.has(leaf)) {
      if (p.found || ['counterparty', 'otherparty', 'party', 'merchant', 'vendor', 'pty'].includes(parent)) return { role: 'counterparty', score: 3, rank: 1, side: p.side };
      return null; // `bank.name`, `category.name`, `account.name` (the own account)
    }
    if (ACCOUNT_LEAVES.has(leaf) || leaf === 'id') {
      // `creditorAccount.iban` names the other party; a bare `account.iban` may be the own account.
      if (p.found || /account|acct|counterparty/.test(parent)) return { role: 'counterpartyAccount', score: 3, rank: leaf === 'bic' || leaf === 'bicfi' ? 3 : p.found ? 1 : 2, side: p.side };
      if (leaf === 'id' && /^(refs?|references?|transaction|tx)$/.test(parent)) return { role: 'reference', score: 3, rank: 2, side: null };
      return null;
    }
    if (leaf === 'id') return null;
    if (leaf === 'value' && /amount|amt|betrag|money/.test(parent)) return amountLike({ role: 'amount', score: 3, rank: 1, side: null });
  }
  const hit = DICT.get(leaf);
  if (hit) {
    const [role, rank, side = null] = hit;
    if (WEAK.has(leaf)) return amountLike({ role, score: 2, rank, side });
    // `creditorAccount.currency` is the account's currency; `transactionAmount.currency` is the payment's.
    if (role === 'currency' && /account|acct/.test(parent)) return { role, score: 3, rank: 3, side };
    return amountLike({ role, score: 3, rank, side });
  }
  return amountLike(containsMatch(leaf));
}

/** Synonyms inside longer names (`Betrag (EUR)`, `IBAN Auftraggeber/Empfänger`, `Buchungstag2`). */
function containsMatch(k: string): NameMatch | null {
  const m = (role: MappedField, rank = 2, side: Side = null): NameMatch => ({ role, score: 2, rank, side });
  if (/iban|kontonummer|accountnumber|accountno|sortcode/.test(k)) return m('counterpartyAccount', 2, partySide(k).side);
  if (/currency|wahrung|waehrung|ccy/.test(k)) return m('currency');
  if (/valuta|valuedate|wertstellung/.test(k)) return m('date', 3);
  if (/buchungstag|buchungsdatum|bookingdate|postingdate|posted/.test(k)) return m('date', 1);
  if (/date|datum/.test(k)) return m('date', 2);
  if (/sollhaben|habensoll|debitcredit|creditdebit|indicator/.test(k)) return m('direction');
  if (/amount|betrag|umsatz|montant|importe/.test(k)) return m('amount');
  if (/^(debit|soll|withdrawal|paidout|moneyout)/.test(k)) return m('debit');
  if (/^(credit|haben|deposit|paidin|moneyin)/.test(k)) return m('credit');
  const p = partySide(k);
  if (p.found) return /account|konto|bic/.test(k) ? m('counterpartyAccount', 2, p.side) : m('counterparty', 2, p.side);
  if (/reference|referenz|endtoend/.test(k)) return m('reference');
  if (/verwendungszweck|description|memo|purpose|remittance|narrative|buchungstext|details/.test(k)) return m('description');
  return null;
}

/** Direction words in an indicator cell: D/C, DBIT/CRDT, S/H, Debit/Credit, in/out, incoming/outgoing. */
export function readDirectionWord(value: unknown): 'debit' | 'credit' | null {
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase().replace(/\.$/, '');
  if (DEBIT_WORDS.has(v)) return 'debit';
  if (CREDIT_WORDS.has(v)) return 'credit';
  // `Outgoing transfer`, `incoming_wire`, `DEBIT_CARD`: the leading word decides.
  const first = /^[a-z]+/.exec(v)?.[0] ?? '';
  if (first.length > 2 && first !== v) return DEBIT_WORDS.has(first) && first !== 'charge' ? 'debit' : CREDIT_WORDS.has(first) && first !== 'refund' ? 'credit' : null;
  return null;
}
const DEBIT_WORDS = new Set(['d', 'dr', 'db', 'dbit', 'debit', 'debet', 'debito', 'débito', 's', 'soll', 'lastschrift', 'belastung', 'out', 'outgoing', 'outbound', 'sent', 'withdrawal', 'payment out', 'paid out', 'money out', 'expense', 'expenditure', 'ausgang', 'ausgabe', '-', 'minus', 'af', 'charge']);
const CREDIT_WORDS = new Set(['c', 'cr', 'crdt', 'credit', 'credito', 'crédito', 'h', 'haben', 'gutschrift', 'in', 'incoming', 'inbound', 'received', 'deposit', 'payment in', 'paid in', 'money in', 'income', 'eingang', 'einnahme', '+', 'plus', 'bij', 'refund']);
