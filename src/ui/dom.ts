/**
 * Small DOM helpers for the views: elements are built with text nodes only (never
 * innerHTML), so nothing an investigation holds — a subject, a signal's file name, a
 * report — can become markup or script.
 */

type Attrs = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

/** `h('li', {class: 'x'}, 'text', child)`: an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Formats instants in the viewer's time zone (or the host's, for the app). */
export interface TimeFormat {
  timeZone: string | undefined;
  locale: string | undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(f: TimeFormat, style: 'datetime' | 'time' | 'day'): Intl.DateTimeFormat {
  const key = `${f.locale ?? ''}|${f.timeZone ?? ''}|${style}`;
  let fmt = formatters.get(key);
  if (!fmt) {
    const opts: Intl.DateTimeFormatOptions =
      style === 'datetime'
        ? { dateStyle: 'medium', timeStyle: 'short' }
        : style === 'time'
          ? { hour: '2-digit', minute: '2-digit', second: '2-digit' }
          : { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' };
    fmt = new Intl.DateTimeFormat(f.locale, { ...opts, timeZone: f.timeZone });
    formatters.set(key, fmt);
  }
  return fmt;
}

/** `<time datetime="ISO" title="ISO">` shown in the viewer's zone; the ISO value on hover. */
export function timeEl(isoTime: string, f: TimeFormat, style: 'datetime' | 'time' = 'datetime'): HTMLTimeElement {
  const d = new Date(isoTime);
  const text = Number.isNaN(d.getTime()) ? isoTime : formatter(f, style).format(d);
  return h('time', { datetime: isoTime, title: isoTime }, text);
}

/** A calendar day heading's text (`Tuesday, December 1, 2026`) for a `YYYY-MM-DD` key. */
export function dayText(day: string, f: TimeFormat): string {
  // Noon UTC of that date is the same calendar date in every zone from UTC-11 to UTC+11; formatted in UTC it is always the date itself.
  const d = new Date(`${day}T12:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : formatter({ locale: f.locale, timeZone: 'UTC' }, 'day').format(d);
}

/**
 * A tiny, safe Markdown rendering for filed reports: headings, lists, paragraphs,
 * block quotes, fenced code, inline `code` and **bold**; links show their text and
 * target as text (report links are longhaul:// URIs, not pages).
 */
export function markdown(md: string): DocumentFragment {
  const out = document.createDocumentFragment();
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  let list: HTMLUListElement | HTMLOListElement | null = null;
  let para: string[] = [];
  const flushPara = () => {
    if (para.length) out.append(h('p', {}, ...inline(para.join(' '))));
    para = [];
  };
  const endList = () => {
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^```/.test(line)) {
      flushPara();
      endList();
      const code: string[] = [];
      while (++i < lines.length && !/^```/.test(lines[i]!)) code.push(lines[i]!);
      out.append(h('pre', {}, h('code', {}, code.join('\n'))));
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flushPara();
      endList();
      // Report headings sit under the section's own heading (h2): shift them down.
      const level = Math.min(6, heading[1]!.length + 2) as 3 | 4 | 5 | 6;
      out.append(h(`h${level}`, {}, ...inline(heading[2]!)));
      continue;
    }
    const item = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (item) {
      flushPara();
      const ordered = item[2] !== undefined;
      if (!list || (ordered ? list.tagName !== 'OL' : list.tagName !== 'UL')) {
        list = ordered ? h('ol') : h('ul');
        out.append(list);
      }
      list.append(h('li', {}, ...inline(item[3]!)));
      continue;
    }
    if (/^>\s?/.test(line)) {
      flushPara();
      endList();
      out.append(h('blockquote', {}, ...inline(line.replace(/^>\s?/, ''))));
      continue;
    }
    if (/^\s*(---+|\*\*\*+)\s*$/.test(line)) {
      flushPara();
      endList();
      out.append(h('hr'));
      continue;
    }
    if (line.trim() === '') {
      flushPara();
      endList();
      continue;
    }
    if (/^\|/.test(line)) {
      // Tables stay readable as preformatted rows on a narrow column.
      flushPara();
      endList();
      const rows = [line];
      while (i + 1 < lines.length && /^\|/.test(lines[i + 1]!)) rows.push(lines[++i]!);
      out.append(h('pre', { class: 'table' }, rows.join('\n')));
      continue;
    }
    endList();
    para.push(line.trim());
  }
  flushPara();
  return out;
}

/** Inline Markdown: `code`, **bold**, [text](target) → text (target). */
function inline(text: string): Node[] {
  const nodes: Node[] = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) nodes.push(document.createTextNode(text.slice(last, m.index)));
    if (m[1] !== undefined) nodes.push(h('code', {}, m[1]));
    else if (m[2] !== undefined) nodes.push(h('strong', {}, m[2]));
    else nodes.push(document.createTextNode(`${m[3]} (${m[4]})`));
    last = re.lastIndex;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}
