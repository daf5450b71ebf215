import mammoth from 'mammoth';
import type { Extracted, ExtractedLine } from './types.js';

/** Longest library message kept in a reason. */
const MAX_MESSAGE = 160;

/**
 * Word .docx through mammoth's raw-text extraction: one line per non-empty paragraph
 * (table cells are paragraphs too), `line` the paragraph's number counting non-empty
 * paragraphs from 1. Tabs become spaces. mammoth's own error messages become notes.
 * A file that is not a zip, or a zip without a Word document → `ok: false`,
 * `corrupt or not a Word .docx file: <mammoth's message>`. Old binary `.doc` is not read.
 * Known loss: a manual line break inside a paragraph joins the words around it (mammoth's
 * raw text drops it).
 */
export async function extractDocx(bytes: Uint8Array): Promise<Extracted> {
  let result: Awaited<ReturnType<typeof mammoth.extractRawText>>;
  try {
    result = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  } catch (err) {
    return { ok: false, kind: 'docx', reason: `corrupt or not a Word .docx file: ${shortMessage(err)}` };
  }
  // mammoth ends every paragraph with a blank line; an empty paragraph leaves only that.
  const lines: ExtractedLine[] = [];
  for (const paragraph of result.value.split('\n\n')) {
    const text = paragraph.replace(/\s+/g, ' ').trim();
    if (text) lines.push({ text, line: lines.length + 1 });
  }
  const notes = result.messages.filter((m) => m.type === 'error').map((m) => m.message);
  return { ok: true, kind: 'docx', lines, tables: [], notes };
}

/** The library's message up to its first sentence end, bounded: a reason, not a stack. */
function shortMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split(/(?<=[.?!])\s+(?=[A-Z])/)[0] ?? message;
  return first.length > MAX_MESSAGE ? `${first.slice(0, MAX_MESSAGE - 1)}…` : first;
}
