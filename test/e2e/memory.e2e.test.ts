import { afterAll, describe, expect, it } from 'vitest';
import { isDead, startServer, tempDir, waitFor, type Running } from './harness.js';

/**
 * Long-term memory through the built server over stdio: findings recorded with
 * record_event are extracted in the background (every second here) into facts that
 * search_memory ranks; a `kill -9` in the middle of extraction loses no record and
 * duplicates none once the server restarts on the same data directory.
 */
const env = { LONGHAUL_EXTRACTION_INTERVAL: '1s' };

/** Every record under a namespace, through the paged resource. */
async function allRecords(s: Running, namespace: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await s.readJson(`longhaul://memory/${namespace}?limit=200&status=all${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...page.records);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Every event of a session, through the paged resource. */
async function allEvents(s: Running, sessionId: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await s.readJson(`longhaul://sessions/${sessionId}/events?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('memory over stdio (end to end)', () => {
  const tmp = tempDir();
  let server: Running | undefined;
  afterAll(async () => {
    await server?.close().catch(() => undefined);
    tmp.cleanup();
  });

  it('extracts recorded findings into facts that search_memory finds, ranked', async () => {
    server = await startServer(tmp.dir, env);
    const s = server;
    const r = await s.call('start_investigation', { subject: 'TechCorp', objective: 'Find out why the auditor left' });
    const id = r.investigation.investigationId;
    const findings = [
      'The auditor of TechCorp resigned in March 2025 citing disagreements over revenue recognition.',
      'TechCorp restated 2024 revenue after the auditor left.',
      'TechCorp opened an office in Lisbon.',
      'the auditor of techcorp RESIGNED in March 2025, citing disagreements over revenue recognition',
    ];
    for (const text of findings) await s.call('record_event', { investigationId: id, role: 'agent', kind: 'finding', text });
    await s.call('record_event', { investigationId: id, role: 'user', kind: 'preference', text: 'Keep reports under two pages.', data: { key: 'report-length' } });

    const facts = await waitFor(async () => {
      const page = await s.readJson(`longhaul://memory/investigations/${id}/facts`);
      return page.total === 3 && page;
    }, 15_000, 'three facts extracted');
    expect(facts.records.map((x: any) => x.sourceCount).sort()).toEqual([1, 1, 2]);

    const hits = await s.call('search_memory', { query: 'auditor resigned revenue', namespace: `investigations/${id}` });
    expect(hits.results.map((x: any) => x.text)).toEqual([findings[0], findings[1]]);
    expect(hits.results[0].score).toBeGreaterThan(hits.results[1].score);
    expect(hits.results[0].sourceCount).toBe(2);

    const why = await s.readJson(hits.results[0].uri);
    expect(why.sources.events.map((e: any) => e.text)).toEqual([findings[0], findings[3]]);
    const prefs = await s.call('search_memory', { query: 'reports pages', namespace: 'actors' });
    expect(prefs.results.map((x: any) => x.namespace)).toEqual([expect.stringMatching(/^actors\/[^/]+\/preferences$/)]);

    const state = await s.readJson(`longhaul://sessions/${r.sessionId}`);
    expect(state.extraction).toMatchObject({ backlog: 0, lastError: null });
    await s.close();
    server = undefined;
  });

  it('loses no record and duplicates none when killed with -9 during extraction', async () => {
    server = await startServer(tmp.dir, env);
    const first = server;
    const r = await first.call('start_investigation', { subject: 'Initech', objective: 'Stress extraction' });
    const id = r.investigationId ?? r.investigation.investigationId;
    const sessionId: string = r.sessionId;

    // A steady stream of findings (120 distinct texts, each recorded several times)
    // while extraction runs every second; kill -9 once it has committed some of them.
    const acknowledged: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const text = `Initech ledger entry ${i % 120} was booked twice in quarter ${(i % 120) % 4}.`;
        try {
          await first.call('record_event', { investigationId: id, role: 'agent', kind: 'finding', text });
          acknowledged.push(text);
        } catch {
          return; // the server died under us
        }
      }
    })();
    await waitFor(async () => {
      const st = await first.readJson(`longhaul://sessions/${sessionId}`);
      return st.extraction.extractedThroughSeq > 0 && st.extraction.backlog > 0 && acknowledged.length > 300;
    }, 20_000, 'extraction under way with a backlog');
    first.kill9();
    stop = true;
    await waitFor(async () => isDead(first.pid), 5_000, 'server process to die');
    await writer;
    await first.close().catch(() => undefined);

    server = await startServer(tmp.dir, env);
    const s = server;
    await waitFor(async () => {
      const st = await s.readJson(`longhaul://sessions/${sessionId}`);
      return st.extraction.backlog === 0 && st.extraction.lastError === null;
    }, 20_000, 'extraction caught up after the restart');

    const records = await allRecords(s, `investigations/${id}/facts`);
    const texts = records.map((x) => x.text);
    expect(new Set(texts).size).toBe(texts.length); // no duplicate
    expect(records.every((x) => x.status === 'active')).toBe(true);
    for (const text of new Set(acknowledged)) expect(texts).toContain(text); // no lost record

    // Every stored finding is the source of exactly one record.
    const stored = (await allEvents(s, sessionId)).filter((e) => e.kind === 'finding');
    expect(stored.length).toBeGreaterThanOrEqual(acknowledged.length);
    const sources: string[] = [];
    for (const rec of records) {
      let cursor: string | null = null;
      do {
        const read: any = await s.readJson(`${rec.uri}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        sources.push(...read.record.sourceEventIds.length ? read.sources.events.map((e: any) => e.eventId) : []);
        cursor = read.sources.nextCursor;
      } while (cursor);
    }
    expect(sources.length).toBe(stored.length);
    expect(new Set(sources)).toEqual(new Set(stored.map((e) => e.eventId)));
    expect(s.stderr()).not.toMatch(/unexpected error|TypeError|ReferenceError/);
  });
});
