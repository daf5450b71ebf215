/**
 * Nested objects → dotted paths (`creditor.name`, `transactionAmount.amount`), so a
 * transaction's fields can be named and mapped whatever the nesting.
 */

const MAX_DEPTH = 8;
const MAX_KEYS = 300;

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/**
 * Flattens an object: nested objects join with `.`; arrays of primitives become one
 * string joined by a space (`Ustrd: ["a", "b"]` → `"a b"`); arrays of objects keep their
 * index (`splits[0].amount`), which inference never maps (a part is not the whole).
 * Depth and key count are capped so a hostile payload cannot blow up.
 */
export function flatten(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  flattenInto(out, value, '', 0, false);
  return out;
}

/**
 * Flattens `value` into `out` under `prefix` (no closures: this runs once per entry of
 * 10,000-line statements). With `asText`, leaves are stored as strings (for `raw`).
 * Returns the number of keys in `out`.
 */
export function flattenInto(out: Record<string, unknown>, value: unknown, prefix: string, depth: number, asText: boolean): number {
  return walk(out, value, prefix, depth, asText, Object.keys(out).length);
}

/**
 * Dotted paths are interned: a 10,000-entry statement repeats the same few dozen paths,
 * and building each one anew is most of flattening's garbage.
 */
const paths = new Map<string, Map<string, string>>();
function join(prefix: string, key: string): string {
  if (!prefix) return key;
  let m = paths.get(prefix);
  if (!m) {
    if (paths.size > 5000) paths.clear();
    paths.set(prefix, (m = new Map()));
  }
  let p = m.get(key);
  if (p === undefined) {
    p = `${prefix}.${key}`;
    if (m.size < 1000) m.set(key, p);
  }
  return p;
}

function walk(out: Record<string, unknown>, v: unknown, path: string, depth: number, asText: boolean, count: number): number {
  if (count >= MAX_KEYS) return count;
  if (depth < MAX_DEPTH && isPlainObject(v)) {
    let any = false;
    for (const k in v) {
      any = true;
      count = walk(out, v[k], join(path, k), depth + 1, asText, count);
    }
    if (!any && path) {
      out[path] = asText ? '' : null;
      count++;
    }
    return count;
  }
  if (depth < MAX_DEPTH && Array.isArray(v)) {
    if (v.every((x) => !isPlainObject(x) && !Array.isArray(x))) {
      out[path] = v.filter((x) => x !== null && x !== undefined).map(String).join(' ');
      return count + 1;
    }
    for (let i = 0; i < v.length; i++) count = walk(out, v[i], `${path}[${i}]`, depth + 1, asText, count);
    return count;
  }
  const leaf = isPlainObject(v) || Array.isArray(v) ? JSON.stringify(v) : v;
  out[path] = asText ? (leaf === null || leaf === undefined ? '' : leaf instanceof Date ? leaf.toISOString().slice(0, 10) : String(leaf)) : leaf;
  return count + 1;
}
