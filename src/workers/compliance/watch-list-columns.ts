/**
 * Which columns of a watch-list table hold names and aliases, from their headers.
 * Shared by tables (CSV, sheets) and Markdown tables in text lists.
 */

export const headerKey = (h: string) => h.toLowerCase().replace(/[_\-.]+/g, ' ').replace(/\s+/g, ' ').trim();

// In order of preference: a table with both `name` and `company` means the former.
const NAME_HEADERS = [
  'name', 'entity name', 'entity', 'full name', 'legal name', 'registered name', 'company name', 'company',
  'organisation name', 'organization name', 'organisation', 'organization', 'party name', 'party',
  'counterparty name', 'counterparty', 'individual', 'person', 'firma', 'firmenname', 'unternehmen', 'name der firma',
];
const NAME_WORDS = new Set(['name', 'entity', 'company', 'organisation', 'organization', 'party', 'counterparty', 'individual', 'firma']);
const NOT_NAME_WORDS = new Set(['id', 'number', 'no', 'nr', 'code', 'type', 'date', 'country', 'status', 'reason', 'note', 'notes', 'file']);
export const ALIAS_HEADERS = new Set(['aliases', 'alias', 'aka', 'a k a', 'also known as', 'other names', 'alternative names', 'alternate names', 'alt names', 'auch bekannt als']);

/**
 * The header that holds the names: `override` when given (case-insensitive), else the
 * first of the usual synonyms present (`name`, `entity`, `company`, `party`,
 * `counterparty`, `organisation`, German `Firma`, …), else a header that contains one
 * of those words and none that marks another kind of cell (`id`, `date`, `country`, …).
 */
export function findNameColumn(header: readonly string[], override?: string): string | null {
  if (override !== undefined) return header.find((h) => headerKey(h) === headerKey(override)) ?? null;
  const keys = header.map(headerKey);
  for (const want of NAME_HEADERS) {
    const i = keys.indexOf(want);
    if (i >= 0) return header[i] ?? null;
  }
  const i = keys.findIndex((k) => {
    const ws = k.split(' ');
    return !ALIAS_HEADERS.has(k) && ws.some((w) => NAME_WORDS.has(w)) && !ws.some((w) => NOT_NAME_WORDS.has(w) || w === 'alias' || w === 'aliases');
  });
  return i >= 0 ? (header[i] ?? null) : null;
}
