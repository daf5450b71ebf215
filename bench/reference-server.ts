/**
 * The reference servers longhaul's figures are read against: a minimal `McpServer` over
 * stdio answering one tool, `ref`, which echoes its text with a sequence number after doing
 * what the mode says and nothing else (`node --import tsx bench/reference-server.ts <mode>`):
 *   - `echo`: nothing; the **floor**, the least an MCP tool call over stdio costs with this SDK;
 *   - `write`: one `write()` of the event as a JSON line to an append-only file before answering,
 *     the least any design that keeps an acknowledged event across a crash of the server can do;
 *   - `sqlite`: one row committed to a SQLite table with longhaul's event row shape, indexes and
 *     settings (WAL, synchronous=NORMAL, AUTOINCREMENT); the **durable floor**;
 *   - `sqlite-noindex`, `sqlite-noautoincrement`, `sqlite-exclusive`: the same without the four
 *     secondary indexes, without AUTOINCREMENT, or with locking_mode=EXCLUSIVE, to show what each
 *     part of a commit costs (`npm run bench:floors`).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { REFERENCE_MODES, type ReferenceMode } from './reference-modes.js';


const DAY = 86_400_000;

/** What the tool does with its text before answering: returns a sequence number. */
async function handlerFor(mode: ReferenceMode, dir: string): Promise<{ append: (text: string) => number; close: () => void }> {
  let n = 0;
  if (mode === 'echo') return { append: () => n++, close: () => {} };
  if (mode === 'write') {
    const fd = openSync(join(dir, 'events.jsonl'), 'a');
    return {
      append: (text) => {
        const now = Date.now();
        writeSync(fd, JSON.stringify({ id: `evt_ref${String(n).padStart(22, '0')}`, text, createdAt: now, expiresAt: now + 90 * DAY }) + '\n');
        return n++;
      },
      close: () => closeSync(fd),
    };
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(dir, 'reference.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if (mode === 'sqlite-exclusive') db.pragma('locking_mode = EXCLUSIVE');
  // The row shape and indexes of longhaul's events table (src/store/adapters/sqlite/migrations.ts).
  db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY ${mode === 'sqlite-noautoincrement' ? '' : 'AUTOINCREMENT'}, tenant_id TEXT NOT NULL, id TEXT NOT NULL,
             session_id TEXT, investigation_id TEXT, actor_id TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, data TEXT,
             created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
  if (mode !== 'sqlite-noindex') {
    db.exec(`CREATE UNIQUE INDEX events_id ON events (tenant_id, id);
             CREATE INDEX events_session ON events (tenant_id, session_id, seq);
             CREATE INDEX events_investigation ON events (tenant_id, investigation_id, seq);
             CREATE INDEX events_expiry ON events (expires_at, seq);`);
  }
  const insert = db.prepare(
    `INSERT INTO events (tenant_id, id, session_id, investigation_id, actor_id, role, kind, text, data, created_at, expires_at)
     VALUES ('bench', ?, 'ses_ref', 'inv_ref', 'bench', 'agent', 'finding', ?, NULL, ?, ?)`,
  );
  const append = db.transaction((text: string) => {
    const now = Date.now();
    return Number(insert.run(`evt_ref${String(n++).padStart(22, '0')}`, text, now, now + 90 * DAY).lastInsertRowid);
  });
  return { append: (text) => append.immediate(text), close: () => db.close() };
}

const mode = process.argv[2] as ReferenceMode;
if (!REFERENCE_MODES.includes(mode)) {
  process.stderr.write(`usage: reference-server.ts <${REFERENCE_MODES.join('|')}>\n`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), `longhaul-reference-${mode}-`));
const { append, close } = await handlerFor(mode, dir);
const server = new McpServer({ name: `reference-${mode}`, version: '1.0.0' });
server.registerTool(
  'ref',
  {
    description: 'Takes a text and echoes it with its sequence number.',
    inputSchema: { text: z.string().describe('Any text') },
    outputSchema: { seq: z.number().describe('Sequence number'), text: z.string().describe('The same text') },
  },
  async ({ text }) => {
    const seq = append(text);
    return { content: [{ type: 'text', text: `#${seq} ${text}` }], structuredContent: { seq, text } };
  },
);
const transport = new StdioServerTransport();
transport.onclose = () => {
  close();
  rmSync(dir, { recursive: true, force: true });
};
await server.connect(transport);
