/**
 * Bytes → text for the formats that are text underneath (plain text, Markdown, JSON,
 * CSV, HTML): UTF-8 when the bytes are UTF-8, windows-1252 when they are not (old
 * Latin-1 exports), and a refusal when they are not text at all (a binary renamed
 * `.txt`), so a binary never lands in the index as pages of mojibake.
 */

export type Decoded = { ok: true; text: string; notes: string[] } | { ok: false; reason: string };

/**
 * Share of control bytes above which a file is not text. Real text has none besides
 * tab, line feed, carriage return and form feed; random binary has about 12%.
 */
const CONTROL_LIMIT = 0.02;

/**
 * Decodes a text file. A byte order mark picks the encoding (UTF-8, UTF-16LE/BE) and is
 * dropped; otherwise the bytes must be valid UTF-8 or are read as windows-1252 (with a
 * note). Line breaks are normalised to `\n` (CRLF and lone CR).
 * Refuses (`ok: false`, `not text: …`) bytes that are more than 2% control characters
 * or that hold a NUL byte.
 */
export function decodeText(bytes: Uint8Array): Decoded {
  const utf16 = utf16Encoding(bytes);
  if (utf16) {
    // UTF-16 text is full of NUL bytes, so it is decoded before the binary check.
    const text = new TextDecoder(utf16).decode(bytes); // drops the BOM itself
    return { ok: true, text: normaliseBreaks(text), notes: [`decoded as ${utf16.toUpperCase()} (byte order mark)`] };
  }
  const notText = binaryReason(bytes);
  if (notText) return { ok: false, reason: notText };
  try {
    // `ignoreBOM: false` (the default) makes the decoder drop a UTF-8 BOM.
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { ok: true, text: normaliseBreaks(text), notes: [] };
  } catch {
    // Not UTF-8 but no control characters either: almost always Latin-1/windows-1252
    // (windows-1252 is the superset browsers use for both labels).
    return { ok: true, text: normaliseBreaks(windows1252(bytes)), notes: ['not UTF-8: decoded as windows-1252'] };
  }
}

/** windows-1252's characters at 0x80–0x9F (Latin-1 has C1 controls there); `undefined` where it has none. */
const CP1252_HIGH = [
  0x20ac, undefined, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, undefined, 0x017d, undefined,
  undefined, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, undefined, 0x017e, 0x0178,
];

/**
 * Node 20's `TextDecoder('windows-1252')` decodes as ISO-8859-1 (0x80 → U+0080, not €),
 * so the 0x80–0x9F range is mapped here; on a runtime that already maps it, the
 * replacement finds nothing to do.
 */
function windows1252(bytes: Uint8Array): string {
  return new TextDecoder('latin1').decode(bytes).replace(/[\u0080-\u009f]/g, (c) => {
    const code = CP1252_HIGH[c.charCodeAt(0) - 0x80];
    return code === undefined ? c : String.fromCharCode(code);
  });
}

function utf16Encoding(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return null;
}

/** Why the bytes are not text, or null when they may be. */
function binaryReason(bytes: Uint8Array): string | null {
  let control = 0;
  let nul = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 ? b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c : b === 0x7f) {
      control++;
      if (b === 0) nul = true;
    }
  }
  if (bytes.length > 0 && control / bytes.length > CONTROL_LIMIT) {
    return `not text: ${Math.round((100 * control) / bytes.length)}% of the bytes are control characters`;
  }
  // A NUL byte never occurs in UTF-8 or 8-bit text (git uses the same test).
  if (nul) return 'not text: it holds NUL bytes (a binary file?)';
  return null;
}

function normaliseBreaks(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
