/**
 * Bytes → text for the text formats (CSV, MT940, XML, JSON), and offset → line lookups.
 * Banks still export in Windows-1252 (German CSVs with "Empfänger" as one byte), so a
 * file that is not valid UTF-8 is read as Windows-1252 rather than with replacement marks.
 */

export interface DecodedText {
  text: string;
  /** Set when the bytes were not plain UTF-8: `UTF-16LE`, `windows-1252`. */
  encoding: string | null;
}

/** Decodes attachment bytes: BOM first (UTF-8 / UTF-16), else strict UTF-8, else Windows-1252. The BOM is removed. */
export function decodeText(bytes: Uint8Array): DecodedText {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: null };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'UTF-16LE' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'UTF-16BE' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: null };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

/**
 * Whether decoded text looks like text rather than binary: few control characters
 * (other than tab/newline) in its first 4 KB.
 */
export function looksLikeText(text: string): boolean {
  const sample = text.slice(0, 4096);
  if (!sample.length) return false;
  let bad = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0xfffd || (c >= 0x7f && c < 0xa0)) bad++;
  }
  return bad / sample.length < 0.02;
}

/** Maps character offsets to 1-based line numbers (binary search over line starts: O(log n) per lookup). */
export function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** Normalises line endings to `\n` (a lone `\r` is an old Mac line break), so line numbers are well defined. */
export function normaliseNewlines(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}
