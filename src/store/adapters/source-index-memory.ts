import type { SourceChunk, SourceFile, SourceHit, SourceIndex } from '../source-index.js';
import { foldTokens, queryTerms } from './common.js';

/**
 * The source index in process memory, for unit tests: the same contract as the SQLite
 * adapter, scored with a plain BM25 over the same folded tokens FTS5 uses.
 */
export function createMemorySourceIndex(): SourceIndex {
  const files = new Map<string, SourceFile>();
  const chunks = new Map<string, Array<SourceChunk & { tokens: string[] }>>();
  return {
    location: ':memory:',
    async listFiles() {
      return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : 1)).map((f) => ({ ...f }));
    },
    async putFile(file, list) {
      files.set(file.path, { ...file, chunks: list.length });
      chunks.set(
        file.path,
        list.map((c) => ({ ...c, tokens: foldTokens(c.text) })),
      );
    },
    async touchFile(file) {
      const f = files.get(file.path);
      if (f) files.set(file.path, { ...f, ...file, hash: f.hash });
    },
    async removeFile(path) {
      files.delete(path);
      chunks.delete(path);
    },
    async search(query, topK) {
      const terms = [...new Set(queryTerms(query).flatMap(foldTokens))];
      if (terms.length === 0 || topK <= 0) return [];
      const docs = [...chunks.entries()].flatMap(([path, list]) => list.map((c) => ({ path, c })));
      if (docs.length === 0) return [];
      const avg = docs.reduce((n, d) => n + d.c.tokens.length, 0) / docs.length || 1;
      const df = new Map(terms.map((t) => [t, docs.filter((d) => d.c.tokens.includes(t)).length]));
      const hits: SourceHit[] = [];
      for (const { path, c } of docs) {
        let score = 0;
        for (const t of terms) {
          const tf = c.tokens.filter((x) => x === t).length;
          if (!tf) continue;
          const n = df.get(t)!;
          score += Math.log(1 + (docs.length - n + 0.5) / (n + 0.5)) * ((tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * c.tokens.length) / avg)));
        }
        if (score > 0) hits.push({ path, display: files.get(path)!.display, startLine: c.startLine, endLine: c.endLine, text: c.text, score });
      }
      return hits.sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.startLine - b.startLine)).slice(0, Math.floor(topK));
    },
    async close() {},
  };
}
