/**
 * The durable floor: the floor server (floor-server.ts) plus what any durable append
 * must do — insert one row into an indexed SQLite table (WAL, synchronous=NORMAL, as
 * longhaul's store) and commit before answering. Read beside the floor, it shows how
 * much of record_event's cost is the commit itself and how much is longhaul's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import Database from 'better-sqlite3';
import { z } from 'zod';

const dir = mkdtempSync(join(tmpdir(), 'longhaul-durable-floor-'));
const db = new Database(join(dir, 'floor.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
// The same row shape and indexes as longhaul's events table.
db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL, id TEXT NOT NULL, session_id TEXT, investigation_id TEXT,
           actor_id TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, data TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
         CREATE UNIQUE INDEX events_id ON events (tenant_id, id);
         CREATE INDEX events_session ON events (tenant_id, session_id, seq);
         CREATE INDEX events_investigation ON events (tenant_id, investigation_id, seq);
         CREATE INDEX events_expiry ON events (expires_at, seq);`);
const insert = db.prepare(
  `INSERT INTO events (tenant_id, id, session_id, investigation_id, actor_id, role, kind, text, data, created_at, expires_at) VALUES ('bench', ?, 'ses_floor', 'inv_floor', 'bench', 'agent', 'finding', ?, NULL, ?, ?)`,
);
let n = 0;
const append = db.transaction((text: string) => {
  const now = Date.now();
  return Number(insert.run(`evt_floor${String(n++).padStart(22, '0')}`, text, now, now + 90 * 86_400_000).lastInsertRowid);
});

const server = new McpServer({ name: 'durable-floor', version: '1.0.0' });
server.registerTool(
  'append',
  { description: 'Stores its text durably and returns its sequence number.', inputSchema: { text: z.string().describe('Any text') }, outputSchema: { seq: z.number().describe('Row number') } },
  async ({ text }) => {
    const seq = append.immediate(text);
    return { content: [{ type: 'text', text: `#${seq}` }], structuredContent: { seq } };
  },
);
const transport = new StdioServerTransport();
transport.onclose = () => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
};
await server.connect(transport);
