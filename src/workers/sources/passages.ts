import { jaccard, words } from '../../memory/text.js';
import { lineOf, type SourceHit } from '../../store/source-index.js';
import { cite, clipSnippet, type Citation } from './citation.js';

/** What a retrieval asks: the subject (who or what) and the task's own words. */
export interface PassageQuery {
  subject: string;
  /** Content words of the instructions and the objective (subject words excluded by the caller or here). */
  terms: readonly string[];
}

export interface Passage {
  /** Cited to the passage's own line range (or the row); `snippet` is the passage. */
  citation: Citation;
  /** Relevance to the subject and the task: comparable within one call only. */
  score: number;
  /** Subject words and task words the passage holds. */
  matched: { subject: number; task: number };
}

/** Longest passage kept: one to three sentences. */
const PASSAGE_CHARS = 420;
/** Content words a unit needs to be a finding on its own. */
const MIN_WORDS = 4;
/** Units one hit may contribute (a passage holds several relevant sentences). */
const PER_HIT = 3;
/** Passages of one document before the others get their turn. */
const PER_DOCUMENT = 3;
/** Passages whose word sets are at least this alike are the same finding (the first, best one is kept). */
const DUPLICATE = 0.7;

interface Unit {
  text: string;
  start: number; // line offset within the hit
  end: number;
  kind: 'sentence' | 'item';
  /** Sentences of one paragraph share it; a passage never grows past its paragraph. */
  paragraph: number;
}

const STOP = new Set(
  'a an and any are as at be by for from has have in into is it its of on or our that the their this to was were with before after during about against whether each every all other others'.split(' '),
);
const stem = (w: string) => (w.length > 4 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);
const contentWords = (text: string) => new Set(words(text).filter((w) => !STOP.has(w)).map(stem));

/**
 * A title or heading, never a finding: Markdown headings and setext underlines; a
 * short line (≤ 8 words) without sentence punctuation that is Title Case or ALL CAPS
 * (a section name, a caption); and a document's first line when it reads like a title
 * (≤ 12 words, no sentence punctuation) — PDFs and Word files carry no `#`.
 */
export function isHeading(line: string, firstOfDocument = false): boolean {
  const t = line.trim();
  if (!t) return false;
  if (/^#{1,6}\s/.test(t) || /^[=\-_*]{3,}$/.test(t)) return true;
  if (/[.!?;]["')\]]?$/.test(t) || /^[-*•+]\s|^\d+[.)]\s/.test(t) || /:\s\S/.test(t)) return false;
  const ws = t.split(/\s+/);
  if (firstOfDocument && ws.length <= 12) return true;
  if (ws.length > 8) return false;
  const alpha = ws.filter((w) => /^\p{L}/u.test(w));
  const capital = alpha.filter((w) => /^\p{Lu}/u.test(w)).length;
  return alpha.length > 0 && (capital / alpha.length >= 0.6 || t === t.toUpperCase());
}

/** A line of a table rendered for search (`column: value; column: value`), a list item, or a key: value line. */
const isItem = (line: string) =>
  /^\s*([-*•+]|\d+[.)])\s+\S/.test(line) || /^[^:;]{1,60}: [^;]*(; [^:;]{1,60}: .*)+$/.test(line.trim()) || /^[\p{Lu}][\p{L} -]{0,30}: \S.{0,60}$/u.test(line.trim());

/**
 * JSON documents: each innermost object (no object nested in it) is one unit, written
 * `key: value; key: value` — a contract or a record, not a line of punctuation.
 */
function jsonUnits(lines: string[]): Unit[] {
  const out: Unit[] = [];
  const open: number[] = [];
  const nested = new Set<number>();
  lines.forEach((l, i) => {
    for (const ch of l.replace(/"(?:[^"\\]|\\.)*"/g, '""')) {
      if (ch === '{') {
        if (open.length) nested.add(open.at(-1)!);
        open.push(i);
      } else if (ch === '}' && open.length) {
        const start = open.pop()!;
        if (nested.has(start)) continue;
        const body = lines.slice(start, i + 1).join(' ');
        const pairs = [...body.matchAll(/"([^"]{1,60})"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)/g)].map((m) => `${m[1]}: ${m[2]!.replace(/^"|"$/g, '')}`);
        if (pairs.length) out.push({ text: pairs.join('; '), start, end: i, kind: 'item', paragraph: out.length });
      }
    }
  });
  return out;
}

/**
 * The units a passage is made of: sentences of prose paragraphs (with the lines they
 * span), and list items or table rows as they are. Headings split paragraphs and are
 * never units.
 */
export function units(text: string, opts: { startsDocument?: boolean; json?: boolean; lineNumbers?: readonly number[] | null; linePerParagraph?: boolean } = {}): Unit[] {
  const lines = text.split('\n');
  if (opts.json) return jsonUnits(lines);
  const startsDocument = opts.startsDocument ?? false;
  // A new paragraph: every line of a Word file (a line is a paragraph there), and a jump
  // in the line numbers (HTML leaves out lines without text; each block starts a line).
  const breaksBefore = (i: number) => opts.linePerParagraph || (!!opts.lineNumbers && i > 0 && opts.lineNumbers[i]! > opts.lineNumbers[i - 1]! + 1);
  const out: Unit[] = [];
  let para: Array<{ text: string; line: number }> = [];
  let paragraph = 0;
  const flush = () => {
    if (!para.length) return;
    paragraph++;
    let joined = '';
    const starts: number[] = [];
    for (const p of para) {
      starts.push(joined.length);
      joined += (joined ? ' ' : '') + p.text.trim();
      if (starts.length > 1) starts[starts.length - 1]! += 1;
    }
    const lineAt = (offset: number) => {
      let i = 0;
      while (i + 1 < starts.length && starts[i + 1]! <= offset) i++;
      return para[i]!.line;
    };
    // Sentence ends: . ! ? followed by space and a capital, digit or quote (not "e.g. x", "No. 4").
    const re = /(?<!\b(?:e\.g|i\.e|etc|No|Nr|Art|Sec|cf|vs|Mr|Ms|Dr|St|approx))[.!?]["')\]]?\s+(?=[\p{Lu}\d"“(])/gu;
    let from = 0;
    for (const m of joined.matchAll(re)) {
      const to = m.index! + m[0].trimEnd().length;
      out.push({ text: joined.slice(from, to).trim(), start: lineAt(from), end: lineAt(to - 1), kind: 'sentence', paragraph });
      from = m.index! + m[0].length;
    }
    if (from < joined.length) out.push({ text: joined.slice(from).trim(), start: lineAt(from), end: lineAt(joined.length - 1), kind: 'sentence', paragraph });
    para = [];
  };
  lines.forEach((l, i) => {
    if (breaksBefore(i)) flush();
    if (!l.trim() || isHeading(l, startsDocument && i === 0)) return flush();
    // An indented line right after a list item continues it (a wrapped bullet).
    const prev = out.at(-1);
    if (!para.length && prev?.kind === 'item' && prev.end === i - 1 && /^\s{2,}\S/.test(l) && !isItem(l)) {
      prev.text += ' ' + l.trim();
      prev.end = i;
      return;
    }
    if (isItem(l)) {
      flush();
      out.push({ text: l.trim().replace(/^([-*•+]|\d+[.)])\s+/, ''), start: i, end: i, kind: 'item', paragraph: -1 - i });
      return;
    }
    para.push({ text: l, line: i });
  });
  flush();
  return out.filter((u) => u.text.length > 0);
}

/**
 * Findings out of raw hits: for each passage of a file, its sentences (or items) that
 * answer the query — scored by the subject's words and the task's words they hold, the
 * hit's rank breaking ties — grown to the next sentence while it still bears on the
 * task; for each row, the row. Titles and headings never count. Near-identical
 * passages (the same sentence in two files, a row and its CSV twin) are kept once.
 * Best first, at most `max`.
 */
export function selectPassages(hits: readonly SourceHit[], q: PassageQuery, max: number): Passage[] {
  const subject = contentWords(q.subject);
  const task = new Set([...q.terms.flatMap((t) => [...contentWords(t)])].filter((w) => !subject.has(w)));
  const top = Math.max(...hits.map((h) => h.score), 1e-9);
  const score = (ws: Set<string>, rank: number) => {
    let s = 0;
    let t = 0;
    for (const w of subject) if (ws.has(w)) s++;
    for (const w of task) if (ws.has(w)) t++;
    const subj = subject.size ? s / subject.size : 0;
    const tsk = task.size ? Math.min(1, t / Math.min(task.size, 4)) : 0;
    // Short fragments say little even when they hold the words.
    const brevity = ws.size < 5 ? 0.6 : 1;
    // A passage that names the subject *and* bears on the task answers it; either alone, less so.
    const both = s > 0 && t > 0 ? 1.3 : 1;
    return { value: (1.5 * subj + 2 * tsk + 0.5 * (rank / top)) * brevity * both, s, t };
  };
  const candidates: Passage[] = [];
  for (const h of hits) {
    if (h.row) {
      const c = cite(h, `${q.subject} ${q.terms.join(' ')}`);
      const sc = score(contentWords(c.snippet), h.score);
      if (sc.s + sc.t === 0) continue;
      candidates.push({ citation: c, score: sc.value, matched: { subject: sc.s, task: sc.t } });
      continue;
    }
    const name = h.display.toLowerCase();
    const us = units(h.text, { startsDocument: h.startLine === 1 && (h.page ?? 1) === 1, json: name.endsWith('.json'), lineNumbers: h.lines, linePerParagraph: name.endsWith('.docx') });
    const scored = us.map((u) => ({ u, sc: score(contentWords(u.text), h.score), words: contentWords(u.text).size }));
    const picks = scored
      .map((x, i) => ({ x, i }))
      // A fragment ("Subject: TechCorp", a signature) names the subject but answers nothing.
      .filter(({ x }) => x.sc.s + x.sc.t > 0 && x.words >= MIN_WORDS)
      .sort((a, b) => b.x.sc.value - a.x.sc.value)
      .slice(0, PER_HIT);
    for (const { i: best } of picks) {
      // Grow with the following sentences of the same paragraph while they bear on the task.
      let last = best;
      let text = scored[best]!.u.text;
      while (last + 1 < scored.length) {
        const next = scored[last + 1]!;
        if (next.u.kind !== 'sentence' || scored[best]!.u.kind !== 'sentence' || next.u.paragraph !== scored[best]!.u.paragraph || next.sc.s + next.sc.t === 0) break;
        if (text.length + 1 + next.u.text.length > PASSAGE_CHARS) break;
        text += ' ' + next.u.text;
        last++;
      }
      const sc = score(contentWords(text), h.score);
      const startLine = lineOf(h, scored[best]!.u.start);
      const endLine = lineOf(h, scored[last]!.u.end);
      candidates.push({
        citation: { source: h.source, file: h.display, startLine, endLine, page: h.page ?? null, sheet: h.sheet ?? null, row: null, snippet: clipSnippet(text, PASSAGE_CHARS), score: h.score },
        score: sc.value,
        matched: { subject: sc.s, task: sc.t },
      });
    }
  }
  candidates.sort((a, b) => b.score - a.score || b.citation.score - a.citation.score || (a.citation.file < b.citation.file ? -1 : a.citation.file > b.citation.file ? 1 : a.citation.startLine - b.citation.startLine));
  const kept: Array<{ p: Passage; ws: Set<string> }> = [];
  const perDoc = new Map<string, number>();
  const deferred: Passage[] = [];
  for (const p of candidates) {
    if (kept.length >= max) break;
    const ws = contentWords(p.citation.snippet);
    if (kept.some((k) => jaccard(k.ws, ws) >= DUPLICATE || sameLines(k.p.citation, p.citation))) continue;
    // Variety first: a document's passages beyond PER_DOCUMENT wait until the others are in.
    const n = perDoc.get(p.citation.file) ?? 0;
    if (n >= PER_DOCUMENT) {
      deferred.push(p);
      continue;
    }
    perDoc.set(p.citation.file, n + 1);
    kept.push({ p, ws });
  }
  for (const p of deferred) {
    if (kept.length >= max) break;
    const ws = contentWords(p.citation.snippet);
    if (!kept.some((k) => jaccard(k.ws, ws) >= DUPLICATE || sameLines(k.p.citation, p.citation))) kept.push({ p, ws });
  }
  return kept.map((k) => k.p).sort((a, b) => b.score - a.score);
}

const sameLines = (a: Citation, b: Citation) =>
  !a.row && !b.row && a.file === b.file && a.page === b.page && a.sheet === b.sheet && a.startLine <= b.endLine && b.startLine <= a.endLine;
