/**
 * XML → plain objects in fast-xml-parser's shape (`{ Amt: { '#text': '10.00', '@Ccy': 'EUR' } }`,
 * namespace prefixes removed, chosen elements always arrays), built on htmlparser2's
 * streaming tokenizer. Why not fast-xml-parser itself: on a realistic 10,000-entry
 * camt.053 (≈20 MB) fast-xml-parser 5 needs ≈4 s of CPU and its validator ≈0.8 s more;
 * this builder needs ≈0.5 s, and it records where each element starts (for line numbers).
 *
 * Well-formedness is checked where it matters for evidence: a truncated file or
 * mismatched nesting is an error (so entries are never silently lost); a stray closing
 * tag that matches nothing is ignored, as htmlparser2 does.
 */
import { Parser } from 'htmlparser2';

export type XmlNode = Record<string, unknown>;

/** Where an element starts in the text: read with {@link startOf}. */
const START = Symbol('xml-start');

/** Character offset where `node`'s start tag begins, when it is an element object. */
export function startOf(node: unknown): number | null {
  return typeof node === 'object' && node !== null && typeof (node as { [START]?: number })[START] === 'number' ? (node as { [START]: number })[START] : null;
}

export interface XmlTree {
  /** The document: `{ [rootLocalName]: rootNode }`. */
  doc: XmlNode;
  /** Set when the XML is not well-formed (truncated, mismatched tags). */
  error: string | null;
}

const local = (name: string) => name.slice(name.indexOf(':') + 1);

interface Frame {
  name: string;
  node: XmlNode;
  text: string;
  hasChildren: boolean;
  hasAttrs: boolean;
}

/**
 * Parses XML text. `arrays` names elements that are always arrays (e.g. `Ntry`), so a
 * single entry reads like many; `located` names those whose start offset is kept. Elements with neither attributes nor children become
 * their trimmed text (a string); empty ones become ''.
 */
export function parseXmlTree(text: string, arrays: ReadonlySet<string>, located: ReadonlySet<string> = arrays): XmlTree {
  const doc: XmlNode = {};
  const stack: Frame[] = [{ name: '#document', node: doc, text: '', hasChildren: false, hasAttrs: false }];
  let error: string | null = null;
  let roots = 0;
  let ending = false;
  const parser = new Parser(
    {
      onopentag(tag, attrs) {
        const node: XmlNode = {};
        const name = local(tag);
        // Only the elements a caller locates carry their offset: a symbol key on every node costs.
        if (located.has(name)) Object.defineProperty(node, START, { value: parser.startIndex, enumerable: false });
        let hasAttrs = false;
        for (const k in attrs) {
          if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
          node[`@${local(k)}`] = attrs[k];
          hasAttrs = true;
        }
        if (stack.length === 1) roots++;
        (stack[stack.length - 1] as Frame).hasChildren = true;
        stack.push({ name, node, text: '', hasChildren: false, hasAttrs });
      },
      ontext(t) {
        const f = stack[stack.length - 1] as Frame;
        // Indentation between child elements is most of a statement's text; it is never read.
        if (!f.text && !t.trim()) return;
        f.text += t;
      },
      onclosetag(_name, implied) {
        if (implied && !error && !text.slice(parser.startIndex, parser.endIndex + 1).endsWith('/>')) {
          const f = stack[stack.length - 1] as Frame;
          error = ending ? `the XML ends inside <${f.name}> (truncated?)` : `<${f.name}> is not closed before its parent closes`;
        }
        const f = stack.pop() as Frame;
        const parent = stack[stack.length - 1] as Frame;
        const t = f.text.trim();
        let value: unknown = f.node;
        if (!f.hasChildren && !f.hasAttrs) value = t;
        else if (t) f.node['#text'] = t;
        const prev = parent.node[f.name];
        if (prev === undefined) parent.node[f.name] = arrays.has(f.name) ? [value] : value;
        else if (Array.isArray(prev)) prev.push(value);
        else parent.node[f.name] = [prev, value];
      },
    },
    { xmlMode: true },
  );
  parser.write(text);
  ending = true;
  parser.end();
  if (!error && roots !== 1) error = roots ? `${roots} root elements` : 'no root element';
  return { doc, error };
}
