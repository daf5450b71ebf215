/**
 * Versioned schema migrations of the PostgreSQL store, all in the store's schema
 * (search_path), recorded in `schema_migrations`. Never edit a released migration:
 * append one.
 *
 * They run once however many instances start together: the runner takes a
 * transaction-level advisory lock (keyed by the schema), so the first instance applies
 * what is pending and the others, once it commits, find nothing left to do. PostgreSQL
 * DDL is transactional: the pending migrations and their bookkeeping commit together
 * or not at all.
 *
 * Shapes follow the SQLite store (sqlite/migrations.ts), with PostgreSQL types: epoch
 * ms as BIGINT, JSON as TEXT (JSON.stringify, read back with JSON.parse: the exact text
 * the domain wrote), files as BYTEA. Keys, ids, namespaces and statuses compare
 * byte-wise (COLLATE "C"), as in SQLite: keyset cursors, `id DESC` tie-breaks and the
 * namespace range `[p/, p0)` then mean the same on every database, whatever its locale.
 */
import type pg from 'pg';
import { mapPgError } from './db.js';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

const K = 'TEXT COLLATE "C"';

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE investigations (
        tenant_id ${K} NOT NULL,
        id ${K} NOT NULL,
        actor_id ${K} NOT NULL,
        subject TEXT NOT NULL,
        objective TEXT NOT NULL,
        status ${K} NOT NULL,
        outcome ${K},
        summary TEXT,
        deadline BIGINT,
        overdue_at BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        closed_at BIGINT,
        version INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX investigations_newest ON investigations (tenant_id, created_at DESC, id DESC);
      CREATE INDEX investigations_status ON investigations (tenant_id, status, created_at DESC, id DESC);
      CREATE INDEX investigations_deadline ON investigations (deadline, tenant_id, id) WHERE status = 'open' AND deadline IS NOT NULL AND overdue_at IS NULL;

      CREATE TABLE sessions (
        tenant_id ${K} NOT NULL,
        id ${K} NOT NULL,
        actor_id ${K} NOT NULL,
        kind ${K} NOT NULL,
        role ${K},
        investigation_id ${K},
        task_id ${K},
        status ${K} NOT NULL,
        termination_reason ${K},
        started_at BIGINT NOT NULL,
        last_activity_at BIGINT NOT NULL,
        terminated_at BIGINT,
        idle_timeout_ms BIGINT NOT NULL,
        max_duration_ms BIGINT NOT NULL,
        inflight INTEGER NOT NULL,
        due_at BIGINT,
        version INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX sessions_due ON sessions (due_at, tenant_id, id) WHERE status <> 'terminated';
      CREATE INDEX sessions_investigation ON sessions (tenant_id, investigation_id, started_at DESC, id DESC);
      CREATE INDEX sessions_newest ON sessions (tenant_id, started_at DESC, id DESC);

      CREATE TABLE tasks (
        tenant_id ${K} NOT NULL,
        id ${K} NOT NULL,
        investigation_id ${K} NOT NULL,
        role ${K} NOT NULL,
        instructions TEXT NOT NULL,
        status ${K} NOT NULL,
        wait_for TEXT,
        wake_reason ${K},
        run_at BIGINT,
        lease_owner TEXT,
        lease_until BIGINT,
        attempts INTEGER NOT NULL,
        result TEXT,
        error TEXT,
        created_by ${K} NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        finished_at BIGINT,
        version INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX tasks_runnable ON tasks (run_at, tenant_id, id) WHERE status = 'pending';
      CREATE INDEX tasks_lease ON tasks (lease_until, tenant_id, id) WHERE status = 'running';
      CREATE INDEX tasks_investigation ON tasks (tenant_id, investigation_id, created_at, id);
      CREATE INDEX tasks_investigation_status ON tasks (tenant_id, investigation_id, status);

      CREATE TABLE waits (
        tenant_id ${K} NOT NULL,
        id ${K} NOT NULL,
        investigation_id ${K} NOT NULL,
        task_id ${K} NOT NULL,
        signal ${K} NOT NULL,
        status ${K} NOT NULL,
        created_at BIGINT NOT NULL,
        deadline BIGINT NOT NULL,
        resolved_at BIGINT,
        signal_id ${K},
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX waits_due ON waits (deadline, tenant_id, id) WHERE status = 'open';
      CREATE INDEX waits_investigation ON waits (tenant_id, investigation_id, signal, status);
      CREATE INDEX waits_listing ON waits (tenant_id, investigation_id, created_at, id);
      CREATE INDEX waits_task ON waits (tenant_id, task_id);

      CREATE TABLE signals (
        tenant_id ${K} NOT NULL,
        id ${K} NOT NULL,
        investigation_id ${K} NOT NULL,
        name ${K} NOT NULL,
        payload TEXT,
        idempotency_key ${K},
        received_at BIGINT NOT NULL,
        actor_id ${K} NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX signals_investigation ON signals (tenant_id, investigation_id, name, received_at, id);
      CREATE INDEX signals_listing ON signals (tenant_id, investigation_id, received_at, id);
      CREATE UNIQUE INDEX signals_idempotency ON signals (tenant_id, investigation_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

      -- The files of a signal, written in the signal's own transaction. The bytes are
      -- TOASTed out of line, so listings that read the metadata never touch them.
      CREATE TABLE signal_attachments (
        tenant_id ${K} NOT NULL,
        signal_id ${K} NOT NULL,
        idx INTEGER NOT NULL,
        name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        content BYTEA NOT NULL,
        PRIMARY KEY (tenant_id, signal_id, idx)
      );

      -- What each investigation holds in signals, kept by deliverSignal in the signal's
      -- own transaction: the limits are judged without counting signals.
      CREATE TABLE signal_totals (
        tenant_id ${K} NOT NULL,
        investigation_id ${K} NOT NULL,
        count BIGINT NOT NULL,
        bytes BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, investigation_id)
      );

      -- seq orders a session and a timeline. Drawn from the sequence only while the
      -- appending transaction holds its tenant's event lock (see appendIn in index.ts):
      -- a tenant's events commit in seq order, so a reader past seq n never later finds
      -- a lower seq of that tenant.
      CREATE TABLE events (
        seq BIGSERIAL PRIMARY KEY,
        tenant_id ${K} NOT NULL,
        id ${K} NOT NULL,
        session_id ${K},
        investigation_id ${K},
        actor_id ${K} NOT NULL,
        role ${K} NOT NULL,
        kind ${K} NOT NULL,
        text TEXT NOT NULL,
        data TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE UNIQUE INDEX events_id ON events (tenant_id, id);
      CREATE INDEX events_session ON events (tenant_id, session_id, seq);
      CREATE INDEX events_investigation ON events (tenant_id, investigation_id, seq);
      CREATE INDEX events_tenant ON events (tenant_id, seq);
      CREATE INDEX events_expiry ON events (expires_at, seq);

      CREATE TABLE checkpoints (
        tenant_id ${K} NOT NULL,
        session_id ${K} NOT NULL,
        through_seq BIGINT NOT NULL,
        last_run_at BIGINT,
        last_error TEXT,
        due_at BIGINT,
        PRIMARY KEY (tenant_id, session_id)
      );
      CREATE INDEX checkpoints_due ON checkpoints (due_at, tenant_id, session_id) WHERE due_at IS NOT NULL;

      -- Records with their full-text lexemes (see ./search.ts): \`words\` holds the folded
      -- words (as searchWords gives them), \`tsv\` the tenant- and status-keyed lexemes and
      -- the namespace level tokens, indexed by GIN.
      CREATE TABLE records (
        rid BIGSERIAL PRIMARY KEY,
        tenant_id ${K} NOT NULL,
        id ${K} NOT NULL,
        namespace ${K} NOT NULL,
        strategy ${K} NOT NULL,
        text TEXT NOT NULL,
        text_key ${K} NOT NULL,
        topic_key ${K},
        status ${K} NOT NULL,
        superseded_by ${K},
        source_event_ids TEXT NOT NULL,
        session_id ${K},
        investigation_id ${K},
        actor_id ${K},
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        words TEXT NOT NULL,
        word_count INTEGER NOT NULL,
        tsv TSVECTOR NOT NULL
      );
      CREATE UNIQUE INDEX records_id ON records (tenant_id, id);
      CREATE INDEX records_namespace ON records (tenant_id, namespace, created_at DESC, id DESC);
      CREATE INDEX records_newest ON records (tenant_id, created_at DESC, id DESC);
      CREATE INDEX records_text_key ON records (tenant_id, namespace, text_key, created_at DESC, id DESC) WHERE status = 'active';
      CREATE INDEX records_topic_key ON records (tenant_id, namespace, topic_key, created_at DESC, id DESC) WHERE status = 'active' AND topic_key IS NOT NULL;
      CREATE INDEX records_tsv ON records USING GIN (tsv);

      CREATE TABLE reports (
        tenant_id ${K} NOT NULL,
        id ${K} NOT NULL,
        investigation_id ${K} NOT NULL,
        task_id ${K},
        complete BOOLEAN NOT NULL,
        title TEXT NOT NULL,
        markdown TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX reports_investigation ON reports (tenant_id, investigation_id, created_at DESC, id DESC);

      CREATE TABLE inbox (
        tenant_id ${K} NOT NULL,
        id ${K} NOT NULL,
        investigation_id ${K} NOT NULL,
        kind ${K} NOT NULL,
        title TEXT NOT NULL,
        detail TEXT NOT NULL,
        task_id ${K},
        report_id ${K},
        created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX inbox_newest ON inbox (tenant_id, created_at DESC, id DESC);

      CREATE TABLE leases (
        name ${K} PRIMARY KEY,
        owner TEXT NOT NULL,
        until BIGINT NOT NULL
      );
      CREATE INDEX leases_until ON leases (until);

      CREATE TABLE kv (
        key ${K} PRIMARY KEY,
        value TEXT,
        expires BIGINT
      );
      CREATE INDEX kv_expires ON kv (expires) WHERE expires IS NOT NULL;

      -- The change log. A sequence alone would not do: a transaction that drew seq 5 may
      -- commit after one that drew 6, and a follower that saw 6 would skip 5 for good.
      -- So seqs come from the one row of change_log_head, incremented in the appending
      -- transaction: its row lock makes appends take turns, each holding it until it
      -- commits, so rows become visible in seq order. The head only grows (pruning
      -- never lowers it): lastChangeSeq reads it, and a seq is never handed out twice.
      CREATE TABLE change_log (
        seq BIGINT PRIMARY KEY,
        tenant_id ${K} NOT NULL,
        origin TEXT NOT NULL,
        change TEXT NOT NULL,
        at BIGINT NOT NULL
      );
      CREATE INDEX change_log_at ON change_log (at, seq);
      CREATE TABLE change_log_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL
      );
      INSERT INTO change_log_head (id, seq) VALUES (1, 0);

      -- Resumable HTTP streams. pos numbers a stream's events (appends to one stream take
      -- turns on an advisory lock of the stream); seq, from a sequence drawn under that
      -- lock, makes the event id: never reused, and in append order within a stream.
      CREATE TABLE stream_events (
        seq BIGSERIAL PRIMARY KEY,
        stream_id ${K} NOT NULL,
        pos BIGINT NOT NULL,
        message TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE UNIQUE INDEX stream_events_stream ON stream_events (stream_id, pos);
      CREATE INDEX stream_events_expiry ON stream_events (expires_at, seq);
    `,
  },
  {
    version: 2,
    name: 'records_tsv without a pending list',
    // With fastupdate (GIN's default) new entries wait in a pending list that every
    // search reads whole, until a vacuum merges it: after a burst of extraction (20k
    // records), each search walked thousands of pending entries. Records are written a
    // few at a time by extraction and read by every search: each insert now updates the
    // index itself, and what a pending list already holds is merged now.
    sql: `
      ALTER INDEX records_tsv SET (fastupdate = off);
      SELECT gin_clean_pending_list('records_tsv'::regclass);
    `,
  },
  {
    version: 3,
    name: 'memory outbox',
    // What leaves for an external memory (AgentCore), written in the same transaction
    // (or statement) as the event or record it points at; next_attempt_at NULL parks an
    // entry the memory refused. store_settings keeps `memory_outbox`: once on, every
    // process on the schema writes the outbox (the event append checks it in its own
    // statement).
    sql: `
      CREATE TABLE memory_outbox (
        id BIGSERIAL PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('event', 'record', 'delete_record', 'delete_event')),
        ref_id TEXT NOT NULL,
        -- delete_event: the event's memory session (the event itself is gone from the store).
        detail TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT,
        last_error TEXT,
        lease_owner TEXT,
        lease_until BIGINT,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX memory_outbox_due ON memory_outbox (next_attempt_at, id) WHERE next_attempt_at IS NOT NULL;
      CREATE INDEX memory_outbox_ref ON memory_outbox (tenant_id, kind, ref_id);
      CREATE TABLE store_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 4,
    name: 'erasure receipts',
    // What forget_actor / forget_event / longhaul erase removed (ids and counts, when, by
    // whom; never the erased content), as SQLite migration 10.
    sql: `
      CREATE TABLE erasures (
        tenant_id ${K} NOT NULL,
        id ${K} NOT NULL,
        subject_kind ${K} NOT NULL,
        subject_id ${K} NOT NULL,
        requested_by TEXT NOT NULL,
        counts TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX erasures_newest ON erasures (tenant_id, created_at DESC, id DESC);
    `,
  },
];

/**
 * Brings `schema` up to date on the connection `client` (creating the schema if needed),
 * under an advisory lock so concurrent starts apply each migration once. Returns the
 * versions applied now (empty when the schema was current).
 */
export async function runMigrations(client: pg.PoolClient, schema: string, lockKey: string, now: number, location: string, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<number[]> {
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
      // Looked up first: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on
      // the database, which a role that only owns its (existing) schema may lack.
      const exists = (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount;
      if (!exists) await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      )`);
      const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`)).rows.map((r) => r.version));
      const applied: number[] = [];
      for (const m of [...migrations].sort((x, y) => x.version - y.version)) {
        if (done.has(m.version)) continue;
        await client.query(m.sql);
        await client.query(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, now]);
        applied.push(m.version);
      }
      await client.query('COMMIT');
      return applied;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    }
  } catch (e) {
    throw mapPgError(e, location);
  }
}
