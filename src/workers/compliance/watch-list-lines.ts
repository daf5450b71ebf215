import { LEGAL_FORMS } from './name-words.js';
import type { ListedName } from './watch-list.js';
import { findNameColumn } from './watch-list-columns.js';

const HEADING = /^(#{1,6}\s|={3,}\s*$|(?:[-*_]\s*){3,}$|<!--|```|~~~)/;
const BULLET = /^(?:[-*+•·▪‣]\s+(?:\[[ xX]\]\s+)?|\d{1,3}[.)]\s+|\(\d{1,3}\)\s+|[a-z]\)\s+)/;
const SEPARATOR = /\s[—–-]\s|:(?=\s|$)/;
const TABLE_SEPARATOR = /^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$/;
const ALIAS_LEAD = /^(?:a\.?\s?k\.?\s?a\.?|also known as|alias(?:es)?|f\.?\s?k\.?\s?a\.?|formerly(?: known as)?|trading as|t\/a)(?![A-Za-z])[.:\s]*/i;

/** Labels of a `Label: value` line whose value is a name. */
const NAME_LABELS = new Set(['name', 'entity', 'entity name', 'company', 'party', 'counterparty', 'individual', 'organisation', 'organization', 'firma']);
/** Labels of a `Label: value` line that describes the list, not a party. */
const META_LABELS = /^(?:last updated|updated|date|version|source|as of|owner|prepared by|approved by|reviewed(?: by)?|notes?|status|effective(?: date)?|valid from|page|contact|list|classification)$/i;
/** Words of a title such as `Internal watch list` or `Sanctioned entities`. */
const TITLE_WORDS = new Set(
  'watch list watchlist sanctions sanctioned sanction entities entity names parties counterparties restricted blocked denied persons people internal external high risk pep peps the of and our current do not onboard prohibited banned blacklist black grey greylist monitoring companies organisations organizations individuals updated screening'.split(' '),
);
/** Words that mark the rest of a line as a note about the entry, not part of its name. */
const NOTE_WORDS = /\b(?:watch|list(?:ed)?|sanction(?:s|ed)?|added|removed|since|see|ref|reference|reason|status|risk|flag(?:ged)?|ofac|eu|un|hmt|ofsi|pep|source|note|date|per|according|review(?:ed)?|blocked|onboard|fraud|suspected|investigation|pending|until)\b/i;
const LEGAL_WORDS = new Set(LEGAL_FORMS.flat());
/** Words of a sentence that party names do not use. */
const SENTENCE_WORDS = /\b(?:is|are|was|were|be|been|must|should|shall|will|may|can|please|contact|see|note|we|our|you|your|these|this|all)\b/i;

const wordsOf = (s: string) => s.split(/\s+/).filter(Boolean);
const looksLikeNote = (s: string, minWords: number) => /\d/.test(s) || NOTE_WORDS.test(s) || wordsOf(s).length >= minWords;
const onlyLegalForms = (s: string) => {
  const ws = s.toLowerCase().replace(/\./g, '').split(/[^\p{L}]+/u).filter(Boolean);
  return ws.length > 0 && ws.every((w) => LEGAL_WORDS.has(w));
};
const unmark = (s: string) =>
  s
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__|`)(.+?)\1/g, '$2')
    .replace(/(^|\s)[*_](\S(?:.*?\S)?)[*_](?=\s|$|[,.:;])/g, '$1$2')
    .trim();
const cells = (row: string) => row.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => unmark(c.trim()));

/** Aliases written after `aka`, `also known as`, `formerly` …, `;`-, `|`- or `,`-separated. */
function aliasesIn(note: string): string[] {
  const m = ALIAS_LEAD.exec(note.trim());
  if (!m) return [];
  const parts = note.trim().slice(m[0].length).split(/\s*[;|,]\s*/).filter(Boolean);
  // `Orion Trading, Ltd.`: a part that is only a legal form belongs to the alias before it.
  const out: string[] = [];
  for (const p of parts) {
    if (out.length && onlyLegalForms(p)) out[out.length - 1] += `, ${p}`;
    else out.push(p);
  }
  return out.map((a) => a.replace(/[)\s]+$/, '').trim()).filter((a) => /\p{L}/u.test(a));
}

/** The name of one list line and what the line says beside it. */
function splitEntry(text: string): { name: string; note: string } {
  let name = text;
  let note = '';
  const cut = (at: number, skip: number) => {
    note = [name.slice(at + skip).trim(), note].filter(Boolean).join(' ');
    name = name.slice(0, at).trim();
  };
  // A spaced dash or a colon is almost never inside a name: what follows is a note.
  const dash = SEPARATOR.exec(name);
  if (dash) cut(dash.index, dash[0].length);
  const paren = name.indexOf('(');
  if (paren > 0) {
    const inner = name.slice(paren + 1).replace(/\).*$/, '');
    if (ALIAS_LEAD.test(inner.trim()) || looksLikeNote(inner, 4)) cut(paren, 1);
  }
  const comma = name.indexOf(',');
  if (comma > 0) {
    const rest = name.slice(comma + 1).trim();
    if (!onlyLegalForms(rest) && (ALIAS_LEAD.test(rest) || looksLikeNote(rest, 2))) cut(comma, 1);
  }
  // A note cut out of `(…)` keeps the closing parenthesis; one without its opener goes.
  const unbalanced = (note.match(/\)/g) ?? []).length > (note.match(/\(/g) ?? []).length;
  return { name: name.replace(/[\s,;:]+$/, '').trim() || text, note: (unbalanced ? note.replace(/\)\s*$/, '') : note).trim() };
}

/**
 * Watch-list names from the lines of a plain-text or Markdown list. Bullet and
 * numbered items and plain lines are entries; headings, rules, code fences, blank
 * lines, lines ending with `:`, list titles (`Internal watch list`), metadata
 * (`Last updated: …`) and prose are not. Prose is a line of ≥ 8 words ending with a
 * period whose name part (below) still has ≥ 5 words or a word such as `must` or
 * `are`; ≥ 8 words before a dash or colon; or > 15 words.
 *
 * The name is the text before ` — `, ` - ` or `:`; before `(` or `,` only when what
 * follows looks like a note (a date or number, a word such as `listed` or `OFAC`, or
 * several words) — so `Orion Shell Holdings, Ltd.` and `Orion Ltd (Cyprus)` stay whole.
 * `Name: Orion Ltd` takes the value. Aliases in the note (`aka X; Y`, `formerly X`)
 * are entries too. The note is kept as `fields.note`. A Markdown table yields its
 * name column (found as in tables, else the first column).
 */
export function entriesFromLines(lines: ReadonlyArray<{ text: string; line: number }>): ListedName[] {
  const out: ListedName[] = [];
  let table: { header: string[]; nameAt: number } | null = null;
  lines.forEach(({ text: raw, line }, i) => {
    const text = raw.replace(/^\s*>\s?/, '').trim();
    if (!text || HEADING.test(text)) return;
    if (text.startsWith('|') || (table && text.includes('|'))) {
      if (TABLE_SEPARATOR.test(text)) return;
      const row = cells(text);
      if (TABLE_SEPARATOR.test(lines[i + 1]?.text.trim() ?? '')) {
        const col = findNameColumn(row);
        table = { header: row, nameAt: Math.max(0, col === null ? 0 : row.indexOf(col)) };
        return;
      }
      const name = row[table?.nameAt ?? 0] ?? '';
      const fields = Object.fromEntries((table?.header ?? []).map((h, j) => [h, row[j] ?? '']));
      if (/[\p{L}\p{N}]/u.test(name)) out.push({ name, line, fields });
      return;
    }
    table = null;
    const item = unmark(text.replace(BULLET, ''));
    const words = wordsOf(item);
    if (!/[\p{L}\p{N}]/u.test(item) || item.endsWith(':')) return;
    // Prose: judged on the text before a dash or colon, so an entry may carry a long note.
    const head = SEPARATOR.exec(item);
    const headWords = head ? wordsOf(item.slice(0, head.index)).length : words.length;
    if (headWords >= 8 && head !== null) return;
    if (words.every((w) => TITLE_WORDS.has(w.toLowerCase().replace(/[^\p{L}-]/gu, '')))) return;
    const label = /^([^:]{1,30}):\s+(.+)$/.exec(item);
    if (label && META_LABELS.test(label[1]!.trim())) return;
    const { name, note } = splitEntry(label && NAME_LABELS.has(label[1]!.trim().toLowerCase()) ? label[2]! : item);
    // A long line ending with a period is a sentence unless what remains of it after
    // its note (`Stark Industries, also known as Stark Intl, Ltd.`) reads like a name.
    const sentence = words.length >= 8 && item.endsWith('.');
    if (words.length > 15 || (sentence && (wordsOf(name).length >= 5 || SENTENCE_WORDS.test(name)))) return;
    const fields: Record<string, string> = note ? { note } : {};
    out.push({ name, line, fields });
    for (const alias of aliasesIn(note)) out.push({ name: alias, line, fields });
  });
  return out;
}
