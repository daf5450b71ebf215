import { decodeText } from './decode.js';
import type { DocumentKind, Extracted } from './types.js';

/**
 * Plain text, Markdown and JSON: the file's lines as they are, line i being line i of
 * the file (blank lines included, so paragraphs stay visible to the chunker).
 */
export function extractPlain(kind: DocumentKind, bytes: Uint8Array): Extracted {
  const decoded = decodeText(bytes);
  if (!decoded.ok) return { ok: false, kind, reason: decoded.reason };
  const lines = decoded.text.split('\n').map((text, i) => ({ text, line: i + 1 }));
  // A final line break does not open another line.
  if (lines.length > 1 && lines[lines.length - 1]!.text === '') lines.pop();
  return { ok: true, kind, lines, tables: [], notes: decoded.notes };
}
