/**
 * ISO 20022 cash-management statements: camt.053 (BkToCstmrStmt/Stmt), camt.052
 * (BkToCstmrAcctRpt/Rpt), camt.054 (BkToCstmrDbtCdtNtfctn/Ntfctn), any version
 * (`.001.02` … `.001.08`+). One transaction per `Ntry`, or per `TxDtls` when an entry
 * books a batch. The counterparty is the creditor for a debit and the debtor for a
 * credit (`Nm`, or `Pty/Nm` in newer versions). The XML is read by {@link parseXmlTree}
 * (see there why not fast-xml-parser), which also gives each entry's line.
 */
import { readAmount } from './amount.js';
import { readCurrency } from './currency.js';
import { flattenInto, isPlainObject } from './flatten.js';
import { addAccount, emptyResult, transactionId } from './model.js';
import { lineIndex } from './text.js';
import { parseXmlTree, startOf } from './xml-tree.js';
import type { Direction, EvidenceFormat, ParsedEvidence, Transaction } from './types.js';

const ROOTS: Record<string, { format: EvidenceFormat; list: string }> = {
  BkToCstmrStmt: { format: 'camt.053', list: 'Stmt' },
  BkToCstmrAcctRpt: { format: 'camt.052', list: 'Rpt' },
  BkToCstmrDbtCdtNtfctn: { format: 'camt.054', list: 'Ntfctn' },
};
const LOCATED = new Set(['Ntry', 'TxDtls']);
const ARRAYS = new Set(['Stmt', 'Rpt', 'Ntfctn', 'Ntry', 'NtryDtls', 'TxDtls', 'Ustrd', 'Strd', 'Bal', 'AddtlNtryInf', 'AddtlTxInf']);

type Node = Record<string, unknown>;

const node = (v: unknown): Node | undefined => (isPlainObject(v) ? v : undefined);
/** Walks element names; arrays yield their first element. */
function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (Array.isArray(cur)) cur = cur[0];
    cur = node(cur)?.[p];
  }
  return Array.isArray(cur) ? cur[0] : cur;
}
/** An element's text (`<Amt Ccy="EUR">10.00</Amt>` → `10.00`), trimmed; null when absent or empty. */
function str(v: unknown): string | null {
  const t = typeof v === 'string' ? v : typeof node(v)?.['#text'] === 'string' ? (node(v)?.['#text'] as string) : null;
  return t?.trim() || null;
}
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** Whether text is a camt.052/053/054 document (its root element names one). */
export function isCamt(text: string): boolean {
  return /<(?:[\w.-]+:)?(BkToCstmrStmt|BkToCstmrAcctRpt|BkToCstmrDbtCdtNtfctn)[\s>]/.test(text.slice(0, 4096));
}

/**
 * Reads a camt document. XML that is not well-formed or is not camt is `unreadable`
 * with the elements seen.
 */
export function parseCamt(text: string, signalId: string, attachment: string | null): ParsedEvidence {
  const out = emptyResult(signalId, attachment, 'unknown');
  const tree = parseXmlTree(text, ARRAYS, LOCATED);
  if (tree.error) {
    out.unreadable = { reason: `XML is not well-formed: ${tree.error}`, fieldsSeen: [] };
    return out;
  }
  const doc = tree.doc;
  const top = node(doc.Document) ?? doc;
  const rootName = Object.keys(top).find((k) => ROOTS[k]);
  if (!rootName) {
    const elements = (o: Node) => Object.keys(o).filter((k) => !k.startsWith('?') && !k.startsWith('@') && k !== '#text');
    const root = elements(doc)[0];
    const seen = [...new Set([...elements(doc), ...(root ? elements(node(doc[root]) ?? {}) : [])])];
    out.unreadable = { reason: `XML is not a camt.052/053/054 statement (root element <${root ?? 'none'}>)`, fieldsSeen: seen };
    return out;
  }
  const { format, list: listName } = ROOTS[rootName] as { format: EvidenceFormat; list: string };
  out.format = format;
  const version = /camt\.05[234]\.\d{3}\.\d{2}/.exec(text.slice(0, 4096))?.[0];
  if (version) out.notes.push(version);
  const lineOf = lineIndex(text);
  const statements = list(node(top[rootName])?.[listName]);
  let pending = 0;
  statements.forEach((stmt, s) => {
    const acct = at(stmt, 'Acct', 'Id', 'IBAN') ?? at(stmt, 'Acct', 'Id', 'Othr', 'Id');
    addAccount(out.accounts, str(acct));
    const acctCcy = str(at(stmt, 'Acct', 'Ccy'));
    list(node(stmt)?.Ntry).forEach((ntry, n) => {
      if ((str(at(ntry, 'Sts')) ?? str(at(ntry, 'Sts', 'Cd'))) === 'PDNG') pending++;
      out.transactions.push(...entryTransactions(node(ntry) ?? {}, `${listName}[${s}].Ntry[${n}]`, acctCcy, { signalId, attachment, lineOf }));
    });
  });
  if (pending) out.notes.push(`${pending} pending (PDNG) ${pending === 1 ? 'entry' : 'entries'} included`);
  if (!out.transactions.length) out.notes.push(`the ${format} holds no entries`);
  out.mapping = {
    date: 'BookgDt/Dt (else ValDt)', amount: 'Amt (TxDtls/Amt for batch parts)', debit: null, credit: null, currency: 'Amt/@Ccy', direction: 'CdtDbtInd',
    counterparty: 'RltdPties/Cdtr/Nm|RltdPties/Dbtr/Nm', counterpartyAccount: 'RltdPties/CdtrAcct/Id/IBAN|RltdPties/DbtrAcct/Id/IBAN',
    reference: 'Refs/EndToEndId (else AcctSvcrRef)', description: 'RmtInf/Ustrd (else AddtlTxInf, AddtlNtryInf)', transactions: `${listName}[*].Ntry`, by: 'format',
  };
  return out;
}

interface Ctx {
  signalId: string;
  attachment: string | null;
  lineOf: (offset: number) => number;
}

const lineAt = (v: unknown, ctx: Ctx): number | null => {
  const start = startOf(v);
  return start === null ? null : ctx.lineOf(start);
};

/** One transaction per entry, or one per TxDtls when the entry books several (a batch). */
function entryTransactions(ntry: Node, locator: string, acctCcy: string | null, ctx: Ctx): Transaction[] {
  const details = list(ntry.NtryDtls).flatMap((d) => list(node(d)?.TxDtls));
  const entryDir = direction(str(at(ntry, 'CdtDbtInd')));
  const date = (str(at(ntry, 'BookgDt', 'Dt')) ?? str(at(ntry, 'BookgDt', 'DtTm')) ?? str(at(ntry, 'ValDt', 'Dt')) ?? str(at(ntry, 'ValDt', 'DtTm')))?.slice(0, 10) ?? null;
  const { NtryDtls: _omit, ...entryFields } = ntry;
  const base: Record<string, string> = {};
  flattenInto(base, entryFields, '', 0, true);
  if (details.length <= 1) return [build(ntry, node(details[0]) ?? {}, ntry.Amt, entryDir, date, acctCcy, locator, lineAt(ntry, ctx), base, ctx, null)];
  return details.map((tx, k) => {
    const t = node(tx) ?? {};
    const amt = t.Amt ?? at(t, 'AmtDtls', 'TxAmt', 'Amt') ?? at(t, 'AmtDtls', 'InstdAmt', 'Amt');
    const dir = direction(str(at(t, 'CdtDbtInd'))) ?? entryDir;
    const missing = amt === undefined ? `batch part has no amount of its own (entry total ${str(ntry.Amt) ?? '?'})` : null;
    return build(ntry, t, amt, dir, date, acctCcy, `${locator}.TxDtls[${k}]`, lineAt(tx, ctx) ?? lineAt(ntry, ctx), base, ctx, missing);
  });
}

const direction = (ind: string | null): Direction | null => (ind === 'DBIT' ? 'debit' : ind === 'CRDT' ? 'credit' : null);

function party(tx: Node, role: 'Cdtr' | 'Dbtr'): { name: string | null; account: string | null } {
  const p = at(tx, 'RltdPties', role);
  const ult = at(tx, 'RltdPties', role === 'Cdtr' ? 'UltmtCdtr' : 'UltmtDbtr');
  const name = str(at(p, 'Nm')) ?? str(at(p, 'Pty', 'Nm')) ?? str(at(ult, 'Nm')) ?? str(at(ult, 'Pty', 'Nm'));
  const acct = at(tx, 'RltdPties', `${role}Acct`, 'Id');
  const agent = at(tx, 'RltdAgts', `${role}Agt`, 'FinInstnId');
  const account = str(at(acct, 'IBAN')) ?? str(at(acct, 'Othr', 'Id')) ?? str(at(agent, 'BICFI')) ?? str(at(agent, 'BIC'));
  return { name, account };
}

function build(ntry: Node, tx: Node, amt: unknown, dir: Direction | null, date: string | null, acctCcy: string | null, locator: string, line: number | null, base: Record<string, string>, ctx: Ctx, missing: string | null): Transaction {
  const problems: string[] = [];
  let amount: number | null = null;
  if (missing) problems.push(missing);
  else {
    const a = readAmount(str(amt) ?? '', '.');
    if (a.problem) problems.push(a.problem);
    amount = a.value === null ? null : Math.abs(a.value);
  }
  const ccyAttr = str(node(amt)?.['@Ccy']) ?? str(node(ntry.Amt)?.['@Ccy']) ?? acctCcy;
  const currency = ccyAttr ? readCurrency(ccyAttr).code : null;
  if (!currency) problems.push(ccyAttr ? `currency "${ccyAttr}" is not a known currency` : 'no currency');
  if (!dir) problems.push(`CdtDbtInd "${str(at(tx, 'CdtDbtInd')) ?? str(ntry.CdtDbtInd) ?? ''}" is not DBIT or CRDT`);
  const other = dir === 'credit' ? party(tx, 'Dbtr') : party(tx, 'Cdtr');
  if (!other.name) problems.push(Object.keys(tx).length ? 'no counterparty name in RltdPties' : 'no transaction details (RltdPties) in the entry');
  if (!date) problems.push('no booking or value date');
  const e2e = str(at(tx, 'Refs', 'EndToEndId'));
  const reference = (e2e && e2e !== 'NOTPROVIDED' ? e2e : null) ?? str(at(tx, 'Refs', 'AcctSvcrRef')) ?? str(ntry.AcctSvcrRef) ?? str(at(tx, 'Refs', 'TxId')) ?? str(ntry.NtryRef);
  const ustrd = list(node(at(tx, 'RmtInf'))?.Ustrd).map(str).filter(Boolean).join(' ');
  const strdRef = str(at(tx, 'RmtInf', 'Strd', 'CdtrRefInf', 'Ref'));
  const description = ustrd || strdRef || list(tx.AddtlTxInf).map(str).filter(Boolean).join(' ') || list(ntry.AddtlNtryInf).map(str).filter(Boolean).join(' ') || null;
  const raw: Record<string, string> = { ...base };
  if (Object.keys(tx).length) flattenInto(raw, tx, 'TxDtls', 0, true);
  return {
    id: transactionId(ctx.signalId, ctx.attachment, locator),
    location: { signalId: ctx.signalId, attachment: ctx.attachment, locator, line },
    date, amount, currency, direction: dir, counterparty: other.name, counterpartyAccount: other.account, reference, description, raw, problems,
  };
}
