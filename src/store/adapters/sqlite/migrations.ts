import type Database from 'better-sqlite3';

/**
 * Versioned schema migrations, applied in order, each in its own transaction, each
 * recorded in `schema_migrations` and mirrored in `PRAGMA user_version`. Re-opening a
 * file applies only the ones it lacks. Never edit a released migration: append one.
 *
 * Every tenant table carries `tenant_id` and is keyed by (tenant_id, id), so a tenant's
 * ids can never address another tenant's rows. `leases` (scheduler coordination) and
 * `kv` (keyv; keys come from tenantKey() and embed the tenant) are not tenant tables.
 * Each due-time sweep has a partial index on its due column, ordered the way the
 * sweep reads it.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE investigations (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        objective TEXT NOT NULL,
        status TEXT NOT NULL,
        outcome TEXT,
        summary TEXT,
        deadline INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        closed_at INTEGER,
        version INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX investigations_newest ON investigations (tenant_id, created_at DESC, id DESC);
      CREATE INDEX investigations_status ON investigations (tenant_id, status, created_at DESC, id DESC);

      CREATE TABLE sessions (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        role TEXT,
        investigation_id TEXT,
        task_id TEXT,
        status TEXT NOT NULL,
        termination_reason TEXT,
        started_at INTEGER NOT NULL,
        last_activity_at INTEGER NOT NULL,
        terminated_at INTEGER,
        idle_timeout_ms INTEGER NOT NULL,
        max_duration_ms INTEGER NOT NULL,
        inflight INTEGER NOT NULL,
        due_at INTEGER,
        version INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX sessions_due ON sessions (due_at, tenant_id, id) WHERE status <> 'terminated';
      CREATE INDEX sessions_investigation ON sessions (tenant_id, investigation_id, started_at DESC, id DESC);
      CREATE INDEX sessions_newest ON sessions (tenant_id, started_at DESC, id DESC);

      CREATE TABLE tasks (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        investigation_id TEXT NOT NULL,
        role TEXT NOT NULL,
        instructions TEXT NOT NULL,
        status TEXT NOT NULL,
        wait_for TEXT,
        wake_reason TEXT,
        run_at INTEGER,
        lease_owner TEXT,
        lease_until INTEGER,
        attempts INTEGER NOT NULL,
        result TEXT,
        error TEXT,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        finished_at INTEGER,
        version INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX tasks_runnable ON tasks (run_at, tenant_id, id) WHERE status = 'pending';
      CREATE INDEX tasks_lease ON tasks (lease_until, tenant_id, id) WHERE status = 'running';
      CREATE INDEX tasks_investigation ON tasks (tenant_id, investigation_id, created_at, id);

      CREATE TABLE waits (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        investigation_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        signal TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        deadline INTEGER NOT NULL,
        resolved_at INTEGER,
        signal_id TEXT,
        PRIMARY KEY (tenant_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX waits_due ON waits (deadline, tenant_id, id) WHERE status = 'open';
      CREATE INDEX waits_investigation ON waits (tenant_id, investigation_id, signal, status);
      CREATE INDEX waits_listing ON waits (tenant_id, investigation_id, created_at, id);
      CREATE INDEX waits_task ON waits (tenant_id, task_id);

      CREATE TABLE signals (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        investigation_id TEXT NOT NULL,
        name TEXT NOT NULL,
        payload TEXT,
        idempotency_key TEXT,
        received_at INTEGER NOT NULL,
        actor_id TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX signals_investigation ON signals (tenant_id, investigation_id, name, received_at, id);
      CREATE INDEX signals_listing ON signals (tenant_id, investigation_id, received_at, id);
      CREATE UNIQUE INDEX signals_idempotency ON signals (tenant_id, investigation_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

      -- seq is global and strictly increasing: it orders a session and a timeline.
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        session_id TEXT,
        investigation_id TEXT,
        actor_id TEXT NOT NULL,
        role TEXT NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        data TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX events_id ON events (tenant_id, id);
      CREATE INDEX events_session ON events (tenant_id, session_id, seq);
      CREATE INDEX events_investigation ON events (tenant_id, investigation_id, seq);
      CREATE INDEX events_expiry ON events (expires_at, seq);

      CREATE TABLE checkpoints (
        tenant_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        through_seq INTEGER NOT NULL,
        last_run_at INTEGER,
        last_error TEXT,
        due_at INTEGER,
        PRIMARY KEY (tenant_id, session_id)
      ) WITHOUT ROWID;
      CREATE INDEX checkpoints_due ON checkpoints (due_at, tenant_id, session_id) WHERE due_at IS NOT NULL;

      -- rid is the rowid shared with records_fts.
      CREATE TABLE records (
        rid INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        strategy TEXT NOT NULL,
        text TEXT NOT NULL,
        text_key TEXT NOT NULL,
        topic_key TEXT,
        status TEXT NOT NULL,
        superseded_by TEXT,
        source_event_ids TEXT NOT NULL,
        session_id TEXT,
        investigation_id TEXT,
        actor_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX records_id ON records (tenant_id, id);
      CREATE INDEX records_namespace ON records (tenant_id, namespace, created_at DESC, id DESC);
      CREATE INDEX records_newest ON records (tenant_id, created_at DESC, id DESC);
      CREATE INDEX records_text_key ON records (tenant_id, namespace, text_key) WHERE status = 'active';
      CREATE INDEX records_topic_key ON records (tenant_id, namespace, topic_key, created_at DESC) WHERE status = 'active' AND topic_key IS NOT NULL;

      -- Full-text index of records, rowid = records.rid. Words are stored prefixed by a
      -- (tenant, status) key and namespaces as hashed level tokens: see ./search.ts.
      CREATE VIRTUAL TABLE records_fts USING fts5(terms, scope, tokenize = 'unicode61 remove_diacritics 0');

      CREATE TABLE reports (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        investigation_id TEXT NOT NULL,
        task_id TEXT,
        complete INTEGER NOT NULL,
        title TEXT NOT NULL,
        markdown TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX reports_investigation ON reports (tenant_id, investigation_id, created_at DESC, id DESC);

      CREATE TABLE inbox (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        investigation_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        detail TEXT NOT NULL,
        task_id TEXT,
        report_id TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX inbox_newest ON inbox (tenant_id, created_at DESC, id DESC);

      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        until INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT,
        expires INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX kv_expires ON kv (expires) WHERE expires IS NOT NULL;
    `,
  },
  {
    version: 2,
    name: 'leases by expiry',
    // node-cron's run coordinator takes one lease per job per scheduled slot; expired
    // ones are pruned by expiry on each acquire.
    sql: `CREATE INDEX leases_until ON leases (until);`,
  },
  {
    version: 3,
    name: 'consolidation lookups by key, newest first',
    // findRecordByTextKey/TopicKey read the newest active match (ORDER BY created_at
    // DESC, id DESC LIMIT 1). Without those columns in the key indexes the planner
    // walked records_namespace instead, to skip a sort: every record of the namespace
    // per lookup, once per extracted finding.
    sql: `
      DROP INDEX records_text_key;
      CREATE INDEX records_text_key ON records (tenant_id, namespace, text_key, created_at DESC, id DESC) WHERE status = 'active';
      DROP INDEX records_topic_key;
      CREATE INDEX records_topic_key ON records (tenant_id, namespace, topic_key, created_at DESC, id DESC) WHERE status = 'active' AND topic_key IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'investigation deadlines',
    // The deadline sweep flags an open investigation past its own deadline once.
    sql: `
      ALTER TABLE investigations ADD COLUMN overdue_at INTEGER;
      CREATE INDEX investigations_deadline ON investigations (deadline, tenant_id, id) WHERE status = 'open' AND deadline IS NOT NULL AND overdue_at IS NULL;
    `,
  },
  {
    version: 5,
    name: 'signal attachments',
    // The files delivered with a signal, written in the signal's own transaction. A
    // rowid table on purpose: rows carry up to 5 MiB, and WITHOUT ROWID suits small
    // rows only. The bytes come last, so reading the metadata (every signal listing)
    // stops before the blob's overflow pages.
    sql: `
      CREATE TABLE signal_attachments (
        tenant_id TEXT NOT NULL,
        signal_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        content BLOB NOT NULL,
        PRIMARY KEY (tenant_id, signal_id, idx)
      );
    `,
  },
  {
    version: 6,
    name: 'change log',
    // Notifications across processes: every process appends the changes it publishes
    // and follows the rows after the last seq it saw (runtime/change-feed.ts).
    //
    // Why a follower never skips a row committed late: seq is assigned inside the
    // writing transaction, and SQLite has one writer at a time — a write step takes the
    // lock (BEGIN IMMEDIATE) before it picks max(seq) + 1 and holds it until it commits.
    // So rows become visible in seq order: once a reader sees seq n, every row below n
    // is already committed (or rolled back, and never will be). AUTOINCREMENT keeps
    // seqs from being reused when the newest rows are pruned: a plain rowid would hand
    // max + 1 out again, below what a follower has already seen. (A server database's
    // sequences are not committed in order; its adapter needs another scheme.)
    sql: `
      CREATE TABLE change_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id TEXT NOT NULL,
        origin TEXT NOT NULL,
        change TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX change_log_at ON change_log (at, seq);
    `,
  },
  {
    version: 7,
    name: 'stream events',
    // Resumable HTTP streams (the MCP SDK's EventStore): the messages sent on each
    // stream, replayed after a Last-Event-ID. pos numbers a stream's events so the cap
    // per stream is one range delete by index; seq (AUTOINCREMENT: never reused) makes
    // the event id, so an old id can never name a newer event.
    sql: `
      CREATE TABLE stream_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id TEXT NOT NULL,
        pos INTEGER NOT NULL,
        message TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX stream_events_stream ON stream_events (stream_id, pos);
      CREATE INDEX stream_events_expiry ON stream_events (expires_at, seq);
    `,
  },
  {
    version: 8,
    name: 'investigation bounds',
    // What each investigation holds in signals, kept by deliverSignal in the signal's own
    // transaction, so the per-investigation limits are judged without counting signals;
    // filled here from the signals already stored (payload JSON bytes, none for a null
    // payload, plus file sizes: domain/signal-limits.ts signalBytes). The tasks index
    // lets countInvestigation count open tasks from the index alone.
    sql: `
      CREATE TABLE signal_totals (
        tenant_id TEXT NOT NULL,
        investigation_id TEXT NOT NULL,
        count INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, investigation_id)
      ) WITHOUT ROWID;
      INSERT INTO signal_totals (tenant_id, investigation_id, count, bytes)
        SELECT s.tenant_id, s.investigation_id, count(*),
               sum(CASE WHEN s.payload IS NULL OR s.payload = 'null' THEN 0 ELSE length(CAST(s.payload AS BLOB)) END)
               + coalesce((SELECT sum(a.size) FROM signal_attachments a JOIN signals x ON x.tenant_id = a.tenant_id AND x.id = a.signal_id
                           WHERE x.tenant_id = s.tenant_id AND x.investigation_id = s.investigation_id), 0)
        FROM signals s GROUP BY s.tenant_id, s.investigation_id;
      CREATE INDEX tasks_investigation_status ON tasks (tenant_id, investigation_id, status);
    `,
  },
  {
    version: 9,
    name: 'memory outbox',
    // What leaves for an external memory (AgentCore), written in the same transaction as
    // the event or record it points at (src/store/port.ts claimOutbox). next_attempt_at
    // NULL parks an entry the memory refused. store_settings keeps `memory_outbox`: once
    // on, every process opening the file writes the outbox.
    sql: `
      CREATE TABLE memory_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('event', 'record', 'delete_record', 'delete_event')),
        ref_id TEXT NOT NULL,
        -- delete_event: the event's memory session (the event itself is gone from the store).
        detail TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        last_error TEXT,
        lease_owner TEXT,
        lease_until INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX memory_outbox_due ON memory_outbox (next_attempt_at, id) WHERE next_attempt_at IS NOT NULL;
      CREATE INDEX memory_outbox_ref ON memory_outbox (tenant_id, kind, ref_id);
      CREATE TABLE store_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `,
  },
  {
    version: 10,
    name: 'erasure receipts',
    // What forget_actor / forget_event / longhaul erase removed: ids and counts, when and
    // by whom, never the erased content (src/domain/erasure.ts). Kept after the data is gone.
    sql: `
      CREATE TABLE erasures (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        subject_kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        counts TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      ) WITHOUT ROWID;
      CREATE INDEX erasures_newest ON erasures (tenant_id, created_at DESC, id DESC);
    `,
  },
];

/**
 * Brings the schema up to date. Returns the versions applied now (empty when the file
 * was current). Each migration and its bookkeeping commit together or not at all.
 */
export function migrate(db: Database.Database, now: number, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const done: number[] = [];
  for (const m of [...migrations].sort((x, y) => x.version - y.version)) {
    // Checked inside the write transaction: two processes opening a new file at once
    // apply each migration once.
    const ran = db
      .transaction(() => {
        if (isApplied.get(m.version)) return false;
        db.exec(m.sql);
        record.run(m.version, m.name, now);
        db.pragma(`user_version = ${Math.trunc(m.version)}`);
        return true;
      })
      .immediate();
    if (ran) done.push(m.version);
  }
  return done;
}
