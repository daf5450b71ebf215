import { InvalidInputError, NotFoundError } from '../../domain/errors.js';
import { isTextMediaType } from '../../runtime/attachments.js';
import { defineResource, matchPrefix } from '../resource.js';
import { completeInvestigationId } from './investigation.js';

// Fatal: bytes that are not UTF-8 are served as a blob, never as text with U+FFFD in
// it. The BOM is kept, so the text is exactly the stored bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** While the user types, an unknown or malformed id is no failure: nothing to offer. */
const nothingIfUnknown = (e: unknown): never[] => {
  if (e instanceof NotFoundError || e instanceof InvalidInputError) return [];
  throw e;
};

/**
 * One file delivered with a signal, whole. Signals list their files' metadata (name,
 * media type, size, SHA-256) with this URI; the bytes are read only here.
 */
export const signalAttachmentResource = defineResource({
  name: 'signal-attachment',
  title: 'A file delivered with a signal',
  description:
    'One file delivered with a signal (a bank statement as CSV, camt.053 XML, MT940, PDF…), whole and in its own media type. ' +
    'Text-like files (text/*, JSON, XML) that are valid UTF-8 come as text; anything else as a base64 blob. ' +
    "Each signal in get_investigation lists its files with name, size, SHA-256 and this URI. A delivered file never changes.",
  uriTemplate: 'longhaul://investigations/{investigationId}/signals/{signalId}/attachments/{index}',
  mimeType: 'application/octet-stream',
  async list() {
    // Files are reached from their signal (each attachment's `uri`); listing every file of every investigation would not be bounded.
    return [];
  },
  complete: {
    investigationId: completeInvestigationId,
    async signalId(caller, prefix, app, resolved) {
      if (!resolved.investigationId) return [];
      const signals = await app.runtime.signals.withAttachments(caller, resolved.investigationId).catch(nothingIfUnknown);
      return matchPrefix(signals.map((s) => s.id), prefix);
    },
    async index(caller, prefix, app, resolved) {
      if (!resolved.investigationId || !resolved.signalId) return [];
      const signals = await app.runtime.signals.withAttachments(caller, resolved.investigationId).catch(nothingIfUnknown);
      const signal = signals.find((s) => s.id === resolved.signalId);
      return matchPrefix((signal?.attachments ?? []).map((a) => String(a.index)), prefix);
    },
  },
  async read(caller, vars, _uri, app) {
    const { meta, content } = await app.runtime.signals.attachment(caller, vars.investigationId ?? '', vars.signalId ?? '', vars.index ?? '');
    if (isTextMediaType(meta.mediaType)) {
      try {
        return { text: utf8.decode(content), mimeType: meta.mediaType };
      } catch {
        // Declared text but not UTF-8 (e.g. a Latin-1 CSV export): the bytes as they are.
      }
    }
    return { blob: Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('base64'), mimeType: meta.mediaType };
  },
});
