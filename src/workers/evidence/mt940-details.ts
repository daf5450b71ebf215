/**
 * MT940 field :86: ("information to account owner") — where the counterparty hides.
 * Two structured conventions are read; anything else is free text, kept as the
 * description with no guessed counterparty.
 * - German DFÜ/DATEV (`166?00SEPA-UEBERWEISUNG?20EREF+…?21SVWZ+…?30BIC?31IBAN?32Name?33…`):
 *   `?32`+`?33` name, `?31` account, `?20`–`?29`/`?60`–`?63` purpose with SEPA keywords.
 * - SWIFT-style slash tags (`/BENM//NAME/Orion Shell/REMI/Invoice 7/EREF/E2E-1`), also
 *   the ING/Rabobank `/CNTP/iban/bic/name/city/` form.
 */

export interface Details86 {
  counterparty: string | null;
  counterpartyAccount: string | null;
  reference: string | null;
  description: string | null;
  /** Subfields found (`?32`, `NAME`), for `raw`. */
  fields: Record<string, string>;
  structured: boolean;
}

const SLASH_TAGS = 'NAME|BENM|ORDP|REMI|USTD|STRD|EREF|KREF|MARF|PREF|CREF|CNTP|IBAN|BIC|ADDR|PURP|ACCW|CSID|ULTB|ULTD|ULTC|OCMT|CHGS|EXCH|RTRN|TRCD|ISDT|BENE|ORDR|INV';
// The closing slash is a lookahead: in `/REMI/USTD//text/` it is also USTD's opening slash.
const SLASH = new RegExp(`/(${SLASH_TAGS})(?=/)`, 'g');
const SEPA = /(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC)\+/g;
const clean = (s: string | undefined | null) => s?.replace(/^\/+|\/+$/g, '').replace(/\s+/g, ' ').trim() || null;

/** Reads :86: content (the segments of one transaction, joined by `\n`). */
export function readDetails86(details: string): Details86 {
  const joined = details.replace(/\r?\n/g, '');
  const german = /^\d{3}[?>]\d{2}|^[?>]\d{2}/.test(joined.trim());
  if (german) return readGerman(joined.trim());
  if (/^\s*\/[A-Z]{2,4}\//.test(joined)) return readSlashed(joined.trim());
  return { counterparty: null, counterpartyAccount: null, reference: null, description: clean(details.replace(/\r?\n/g, ' ')), fields: {}, structured: false };
}

function readGerman(s: string): Details86 {
  const sep = /^\d{3}>|^>/.test(s) ? '>' : '?';
  const fields: Record<string, string> = {};
  const gvc = /^(\d{3})/.exec(s)?.[1];
  if (gvc) fields.GVC = gvc;
  const re = new RegExp(`\\${sep}(\\d{2})([^${sep === '?' ? '?' : '>'}]*)`, 'g');
  for (const m of s.matchAll(re)) fields[`?${m[1]}`] = (fields[`?${m[1]}`] ?? '') + (m[2] ?? '');
  const purpose = ['20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '60', '61', '62', '63'].map((k) => fields[`?${k}`] ?? '').join('');
  const sepa: Record<string, string> = {};
  const marks = [...purpose.matchAll(SEPA)];
  marks.forEach((m, i) => {
    const end = marks[i + 1]?.index ?? purpose.length;
    sepa[m[1] as string] = purpose.slice((m.index ?? 0) + m[0].length, end).trim();
  });
  const name = clean((fields['?32'] ?? '') + (fields['?33'] ?? '')) ?? clean(sepa.ABWA) ?? clean(sepa.ABWE);
  const ref = [sepa.EREF, sepa.KREF, sepa.MREF].find((r) => r && r !== 'NOTPROVIDED');
  return {
    counterparty: name,
    counterpartyAccount: clean(fields['?31']) ?? clean(sepa.IBAN) ?? clean(fields['?30']),
    reference: clean(ref),
    description: clean(sepa.SVWZ) ?? clean(marks.length ? purpose.slice(0, marks[0]?.index ?? 0) : purpose) ?? clean(fields['?00']),
    fields,
    structured: true,
  };
}

function readSlashed(s: string): Details86 {
  const fields: Record<string, string> = {};
  const marks = [...s.matchAll(SLASH)];
  marks.forEach((m, i) => {
    const end = marks[i + 1]?.index ?? s.length;
    const value = s.slice(Math.min((m.index ?? 0) + m[0].length + 1, end), end);
    fields[m[1] as string] = fields[m[1] as string] ? `${fields[m[1] as string]} ${value}` : value;
  });
  const cntp = fields.CNTP?.split('/') ?? [];
  const counterparty = clean(fields.NAME) ?? clean(fields.BENM) ?? clean(fields.ORDP) ?? clean(cntp[2]) ?? clean(fields.BENE) ?? clean(fields.ORDR);
  const ref = [fields.EREF, fields.KREF, fields.MARF, fields.PREF, fields.CREF].map(clean).find((r) => r && r !== 'NOTPROVIDED');
  return {
    counterparty,
    counterpartyAccount: clean(fields.IBAN) ?? clean(fields.ACCW) ?? clean(cntp[0]) ?? clean(fields.BIC) ?? clean(cntp[1]),
    reference: ref ?? null,
    description: clean(fields.REMI) ?? clean(fields.USTD) ?? clean(fields.STRD) ?? clean(fields.PURP),
    fields,
    structured: true,
  };
}
