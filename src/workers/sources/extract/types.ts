/**
 * Document extraction: a file's bytes → searchable lines with where each sits, and
 * the tables it holds (CSV, spreadsheets). Every format goes through a maintained
 * parser (csv-parse, htmlparser2, unpdf, mammoth, read-excel-file); a file that
 * cannot be read yields `ok: false` with a reason a person understands ("no text
 * layer: a scanned PDF?", "corrupt DOCX: …"), never an empty success.
 */

export type DocumentKind = 'text' | 'markdown' | 'json' | 'csv' | 'html' | 'pdf' | 'docx' | 'xlsx';

/** One line of extracted text and where it sits in the file a person opens. */
export interface ExtractedLine {
  text: string;
  /**
   * 1-based: the file's line (text, Markdown, JSON, CSV, HTML), the line within its
   * page (PDF), the paragraph number (DOCX), the row number within its sheet (XLSX).
   */
  line: number;
  /** PDF: 1-based page. */
  page?: number;
  /** XLSX: the sheet's name. */
  sheet?: string;
}

/** A table the file holds: a CSV file, or one sheet of a workbook. */
export interface ExtractedTable {
  /** Sheet name (XLSX), or null (CSV). */
  sheet: string | null;
  /** Header cells, trimmed; `column N` for an empty header cell. */
  header: string[];
  /** Data rows (header excluded), with the 1-based line (CSV) or row number (XLSX) they start on. */
  rows: Array<{ line: number; fields: Record<string, string> }>;
}

export type Extracted =
  | { ok: true; kind: DocumentKind; lines: ExtractedLine[]; tables: ExtractedTable[]; notes: string[] }
  | { ok: false; kind: DocumentKind; reason: string };
