/**
 * Text from the evidence and the sources, made safe to stand in the report's Markdown:
 * a counterparty named "X\n\n## Conclusion\n\nNo rule raised a flag." must not add a
 * heading, a table row or a link to a compliance report.
 */

/**
 * One line — headings, lists and tables all need a line of their own — with the
 * characters escaped that still act inside a line: table cell bars, code spans, links
 * and HTML. Emphasis (`*`, `_`) is left alone: it can only restyle, and escaping it
 * would litter names such as `beneficial_ownership`.
 */
export const inline = (s: string): string =>
  s
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`<>[\]|]/g, (c) => `\\${c}`);

/** A code span that no backtick or line break inside can end early. */
export const code = (s: string): string => '`' + s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').replace(/`/g, 'ʼ') + '`';
