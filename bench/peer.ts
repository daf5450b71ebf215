/**
 * `npm run bench:peer`: longhaul beside its nearest peer, `@modelcontextprotocol/server-memory`
 * (the reference MCP memory server: a knowledge graph kept in a JSONL file), doing the same
 * work in the same run, both over stdio through the real SDK client:
 *   - N writes of one item with three observations: the peer's `create_entities` with one
 *     entity; longhaul's `record_event` (kind `fact`) of the same text, name first. Calls
 *     alternate in blocks so both are measured under the same machine state;
 *   - then searches for names (each item's unique name), topics (one vocabulary word) and
 *     misses (a word no item holds): the peer's `search_nodes`, longhaul's `search_memory`
 *     (topK 10). longhaul searches its long-term records, which its extraction job makes
 *     from the events in the background: the writing server is restarted (its start-up
 *     catch-up pass runs extraction), and searching starts once the backlog is zero (the
 *     time that took is reported);
 * at N = 1,000 and 5,000, each on fresh stores. Reports writes/s (N over the summed call
 * time), write p50/p95, the last 500 writes' p50 against the first 500's, search p50/p95 by
 * kind, and the ratios. Merges `peer` into bench/results.json. Not a test: nothing asserts.
 *
 * What differs by design, and is reported beside the figures: the peer answers a search
 * with every entity whose name, type or observations contain the query as a substring (no
 * limit, no ranking); longhaul with the 10 best records by bm25. The peer rewrites its
 * whole file on every write (temp file + rename, no fsync); longhaul commits one row to
 * SQLite (WAL, synchronous=NORMAL, no fsync per commit either).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { systemClock } from '../src/domain/clock.js';
import { connect, log, longhaul, machine, mergeResults, p50p95, percentile, printTable, ROOT, round, time, type Connection } from './harness.js';
import { sentence, vocabulary } from './preload.js';
import { rng } from './rng.js';

const PEER = join(ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
const SIZES = [1_000, 5_000] as const;
/** Writes per turn when the two servers alternate. */
const BLOCK = 250;
/** Warm-up calls of each write path (on items that do not stay: see warmUp). */
const WARMUP_WRITES = 1_500;
const SEARCHES_PER_KIND = 200;
const SEARCH_BLOCK = 50;
const SEARCH_WARMUP = 100;
const KINDS = ['names', 'topics', 'misses'] as const;
type Kind = (typeof KINDS)[number];

interface Item {
  name: string;
  observations: [string, string, string];
}

/** Letters-only pseudo-words of `length` letters, unique, none of them a vocabulary word. */
function pseudoWords(n: number, length: number, r: () => number, taken: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  while (out.size < n) {
    let w = '';
    for (let i = 0; i < length; i++) w += String.fromCharCode(97 + Math.floor(r() * 26));
    if (!taken.has(w)) out.add(w);
  }
  return [...out];
}

/**
 * `n` items, each a unique 11-letter name (vocabulary words have at most 10 letters, so a
 * name is never inside an observation) and three sentences of the bench's Zipf-like
 * vocabulary; plus the search queries: names of stored items, single vocabulary words
 * (topics), and 12-letter words found nowhere (misses, even as substrings).
 */
function workload(n: number, seed: number) {
  const r = rng(seed);
  const vocab = vocabulary();
  const names = pseudoWords(n, 11, r, new Set(vocab));
  const items: Item[] = names.map((w) => ({ name: w[0]!.toUpperCase() + w.slice(1), observations: [sentence(r, vocab, 6, 12), sentence(r, vocab, 6, 12), sentence(r, vocab, 6, 12)] }));
  const pick = <T>(xs: readonly T[], k: number, skew = 1) => Array.from({ length: k }, () => xs[Math.floor(xs.length * Math.pow(r(), skew))]!);
  const queries: Record<Kind, string[]> = {
    names: pick(items, SEARCHES_PER_KIND + SEARCH_WARMUP).map((it) => it.name),
    topics: pick(vocab, SEARCHES_PER_KIND + SEARCH_WARMUP, 1.5),
    misses: pseudoWords(SEARCHES_PER_KIND + SEARCH_WARMUP, 12, r, new Set()),
  };
  return { items, queries };
}

const text = (it: Item) => `${it.name}: ${it.observations.join(' ')}`;

/** The two servers as the bench drives them: the same calls, each server's own tools. */
interface Side {
  write: (it: Item) => Promise<unknown>;
  search: (query: string) => Promise<{ matches: number; chars: number; names: string[] }>;
  close: () => Promise<void>;
}

function peerSide(c: Connection): Side {
  return {
    write: (it) => c.call('create_entities', { entities: [{ name: it.name, entityType: 'company', observations: it.observations }] }),
    search: async (query) => {
      const r = await c.call('search_nodes', { query });
      const g = r.structuredContent as { entities: Array<{ name: string }> };
      return { matches: g.entities.length, chars: JSON.stringify(r.content).length, names: g.entities.map((e) => e.name) };
    },
    close: () => c.close(),
  };
}

function longhaulSide(c: Connection, investigationId: string): Side {
  return {
    write: (it) => c.call('record_event', { investigationId, role: 'agent', kind: 'fact', text: text(it) }),
    search: async (query) => {
      const r = await c.call('search_memory', { query, topK: 10 });
      const results = (r.structuredContent as { results: Array<{ text: string }> }).results;
      return { matches: results.length, chars: JSON.stringify(r.content).length, names: results.map((x) => x.text.split(':')[0]!) };
    },
    close: () => c.close(),
  };
}

const startInvestigation = async (c: Connection, subject: string) => {
  const r = await c.call('start_investigation', { subject, objective: `Remember what is learnt about ${subject}.` });
  const s = r.structuredContent as { investigation: { investigationId: string }; sessionId: string };
  return { investigationId: s.investigation.investigationId, sessionId: s.sessionId };
};

/**
 * Warms the peer's write path without leaving items behind: create_entities then
 * delete_entities of a throw-away entity (its file stays empty). A fresh server's calls
 * get faster over its first thousands as V8 tiers up.
 */
async function warmPeer(peer: Connection, vocab: readonly string[]) {
  const r = rng(98);
  await time(WARMUP_WRITES, async (i) => {
    const name = `Warmup${i}`;
    await peer.call('create_entities', { entities: [{ name, entityType: 'company', observations: [sentence(r, vocab, 6, 12)] }] });
    await peer.call('delete_entities', { entityNames: [name] });
  });
}

/** Warms longhaul's write path with `message` events (which make no fact records) in an investigation of their own. */
async function warmLonghaul(lh: Connection, vocab: readonly string[]) {
  const r = rng(99);
  const warm = await startInvestigation(lh, 'Warm-up');
  await time(WARMUP_WRITES, () => lh.call('record_event', { investigationId: warm.investigationId, role: 'agent', kind: 'message', text: sentence(r, vocab, 20, 36) }));
  return warm;
}

/**
 * The control for flatness: longhaul's N writes on a fresh store of its own with nothing
 * between its calls. In the interleaved run the peer's blocks rewrite a file of up to
 * 1.5 MB 250 times, and the kernel writes that back while longhaul's next block runs.
 */
async function longhaulAlone(dir: string, items: readonly Item[], vocab: readonly string[]) {
  const c = await longhaul(dir);
  try {
    await warmLonghaul(c, vocab);
    const side = longhaulSide(c, (await startInvestigation(c, 'Alone')).investigationId);
    return await time(items.length, (i) => side.write(items[i]!));
  } finally {
    await c.close();
  }
}

/** Polls longhaul's session resources until extraction has caught up with every listed session. */
async function extractionCaughtUp(c: Connection, sessionIds: readonly string[], timeoutMs = 600_000) {
  const t0 = performance.now();
  for (;;) {
    let backlog = 0;
    for (const id of sessionIds) {
      const r = (await c.client.readResource({ uri: `longhaul://sessions/${id}` })) as ReadResourceResult;
      const doc = JSON.parse((r.contents[0] as { text: string }).text) as { extraction: { backlog: number } };
      backlog += doc.extraction.backlog;
    }
    if (backlog === 0) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > timeoutMs) throw new Error(`extraction still has ${backlog} events to go after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

function writeFigures(ms: readonly number[]) {
  const first = percentile(ms.slice(0, 500), 50);
  const last = percentile(ms.slice(-500), 50);
  const seconds = ms.reduce((a, b) => a + b, 0) / 1000;
  return { writesPerSecond: Math.round(ms.length / seconds), ...p50p95(ms), first500P50Ms: round(first), last500P50Ms: round(last), lastVsFirst: round(last / first, 2) };
}

async function atSize(n: number, seed: number) {
  const dir = mkdtempSync(join(tmpdir(), `longhaul-peer-${n}-`));
  const memoryFile = join(dir, 'peer-memory.jsonl');
  try {
    const { items, queries } = workload(n, seed);
    const vocab = vocabulary();
    log(`N = ${n.toLocaleString('en')}: longhaul alone, ${n.toLocaleString('en')} writes on a fresh store…`);
    const alone = await longhaulAlone(join(dir, 'alone'), items, vocab);
    const peerConn = await connect(process.execPath, [PEER], { MEMORY_FILE_PATH: memoryFile });
    let lhConn = await longhaul(dir);
    await warmPeer(peerConn, vocab);
    const warm = await warmLonghaul(lhConn, vocab);
    const inv = await startInvestigation(lhConn, 'Peer workload');
    let lh = longhaulSide(lhConn, inv.investigationId);
    const peer = peerSide(peerConn);

    log(`N = ${n.toLocaleString('en')}: writes, alternating blocks of ${BLOCK}…`);
    const writes = { longhaul: [] as number[], peer: [] as number[] };
    for (let done = 0; done < n; done += BLOCK) {
      const k = Math.min(BLOCK, n - done);
      writes.longhaul.push(...(await time(k, (i) => lh.write(items[done + i]!))));
      writes.peer.push(...(await time(k, (i) => peer.write(items[done + i]!))));
    }

    log(`N = ${n.toLocaleString('en')}: restarting longhaul and waiting for extraction to catch up…`);
    await lh.close();
    lhConn = await longhaul(dir, { LONGHAUL_EXTRACTION_INTERVAL: '1s' });
    lh = longhaulSide(lhConn, inv.investigationId);
    const catchUpSeconds = await extractionCaughtUp(lhConn, [inv.sessionId, warm.sessionId]);

    log(`N = ${n.toLocaleString('en')}: ${SEARCHES_PER_KIND} searches of each kind (names, topics, misses), alternating blocks of ${SEARCH_BLOCK}…`);
    for (const side of [lh, peer]) for (const kind of KINDS) await time(SEARCH_WARMUP / KINDS.length, (i) => side.search(queries[kind][SEARCHES_PER_KIND + i]!));
    const ms = { longhaul: {} as Record<Kind, number[]>, peer: {} as Record<Kind, number[]> };
    const seen = { longhaul: { namesFound: 0, topicMatches: 0, topicChars: 0, missMatches: 0 }, peer: { namesFound: 0, topicMatches: 0, topicChars: 0, missMatches: 0 } };
    for (const kind of KINDS) {
      ms.longhaul[kind] = [];
      ms.peer[kind] = [];
      for (let done = 0; done < SEARCHES_PER_KIND; done += SEARCH_BLOCK) {
        for (const [who, side] of [['longhaul', lh], ['peer', peer]] as const) {
          ms[who][kind].push(
            ...(await time(SEARCH_BLOCK, async (i) => {
              const q = queries[kind][done + i]!;
              const r = await side.search(q);
              const s = seen[who];
              if (kind === 'names' && r.names.includes(q)) s.namesFound++;
              if (kind === 'topics') (s.topicMatches += r.matches), (s.topicChars += r.chars);
              if (kind === 'misses') s.missMatches += r.matches;
            })),
          );
        }
      }
    }
    const fileBytes = statSync(memoryFile).size;
    await peer.close();
    // The control for search: longhaul's same queries again with the peer stopped.
    const searchAlone = await time(SEARCHES_PER_KIND * KINDS.length, (i) => lh.search(queries[KINDS[i % KINDS.length]!][Math.floor(i / KINDS.length)]!));
    await lh.close();

    const side = (who: 'longhaul' | 'peer') => ({
      writes: writeFigures(writes[who]),
      search: {
        names: p50p95(ms[who].names),
        topics: p50p95(ms[who].topics),
        misses: p50p95(ms[who].misses),
        all: p50p95(KINDS.flatMap((k) => ms[who][k])),
        namesFound: `${seen[who].namesFound} of ${SEARCHES_PER_KIND}`,
        meanTopicMatches: round(seen[who].topicMatches / SEARCHES_PER_KIND, 1),
        meanTopicAnswerChars: Math.round(seen[who].topicChars / SEARCHES_PER_KIND),
        missMatches: seen[who].missMatches,
      },
    });
    const L = side('longhaul');
    const P = side('peer');
    return {
      items: n,
      longhaul: { ...L, extractionCatchUpSeconds: round(catchUpSeconds, 2), alone: { writes: writeFigures(alone), search: p50p95(searchAlone) } },
      peer: { ...P, fileBytes },
      ratios: {
        writeRate: round(L.writes.writesPerSecond / P.writes.writesPerSecond, 1),
        writeP50: round(L.writes.p50Ms / P.writes.p50Ms, 3),
        searchP95: round(L.search.all.p95Ms / P.search.all.p95Ms, 3),
        searchP50: round(L.search.all.p50Ms / P.search.all.p50Ms, 3),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The comparison at each size (default 1,000 and 5,000); the targets are judged at the largest. */
export async function peerBench(sizes: readonly number[] = SIZES) {
  const runs = [];
  for (const [i, n] of sizes.entries()) runs.push(await atSize(n, 21 + i));
  const at5k = runs.at(-1)!;
  const targets = {
    atItems: at5k.items,
    writeRateAt5k: { measured: at5k.ratios.writeRate, target: '≥ 10× the peer', met: at5k.ratios.writeRate >= 10 },
    searchP95At5k: { measured: at5k.ratios.searchP95, target: '≤ 0.2 × the peer', met: at5k.ratios.searchP95 <= 0.2 },
    writesFlatAt5k: { measured: at5k.longhaul.alone.writes.lastVsFirst, target: 'last 500 ≤ 1.2 × first 500 (p50; longhaul alone, 0 → N)', met: at5k.longhaul.alone.writes.lastVsFirst <= 1.2 },
    writesFlatAt5kBesidePeer: { measured: at5k.longhaul.writes.lastVsFirst, target: 'the same, interleaved with the peer', met: at5k.longhaul.writes.lastVsFirst <= 1.2 },
  };
  return { machine: machine(), peer: '@modelcontextprotocol/server-memory', blockCalls: BLOCK, searchesPerKind: SEARCHES_PER_KIND, runs, targets };
}

export function peerRows(r: Awaited<ReturnType<typeof peerBench>>): string[][] {
  const rows: string[][] = [['peer comparison', 'longhaul', 'server-memory', 'ratio']];
  for (const x of r.runs) {
    const N = x.items.toLocaleString('en');
    const L = x.longhaul;
    const P = x.peer;
    rows.push(
      [`N = ${N}: writes/s`, `${L.writes.writesPerSecond}`, `${P.writes.writesPerSecond}`, `${x.ratios.writeRate}×`],
      [`  write p50 / p95`, `${L.writes.p50Ms} / ${L.writes.p95Ms} ms`, `${P.writes.p50Ms} / ${P.writes.p95Ms} ms`, ''],
      [`  write p50, last 500 / first 500`, `${L.writes.last500P50Ms} / ${L.writes.first500P50Ms} ms (${L.writes.lastVsFirst}×)`, `${P.writes.last500P50Ms} / ${P.writes.first500P50Ms} ms (${P.writes.lastVsFirst}×)`, ''],
      ...KINDS.map((k) => [`  search ${k} p50 / p95`, `${L.search[k].p50Ms} / ${L.search[k].p95Ms} ms`, `${P.search[k].p50Ms} / ${P.search[k].p95Ms} ms`, '']),
      [`  search, all kinds p50 / p95`, `${L.search.all.p50Ms} / ${L.search.all.p95Ms} ms`, `${P.search.all.p50Ms} / ${P.search.all.p95Ms} ms`, `p95 ${x.ratios.searchP95}×`],
      [`  names found; mean topic matches`, `${L.search.namesFound}; ${L.search.meanTopicMatches} (top 10)`, `${P.search.namesFound}; ${P.search.meanTopicMatches} (all)`, ''],
      [`  extraction caught up after restart`, `${L.extractionCatchUpSeconds} s`, '', ''],
      [`  longhaul alone: writes/s; p50 last 500 / first 500`, `${L.alone.writes.writesPerSecond}; ${L.alone.writes.last500P50Ms} / ${L.alone.writes.first500P50Ms} ms (${L.alone.writes.lastVsFirst}×)`, '', ''],
      [`  longhaul alone: search p50 / p95`, `${L.alone.search.p50Ms} / ${L.alone.search.p95Ms} ms`, '', ''],
    );
  }
  return rows;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  // `bench/peer.ts [N…]`: other sizes, for a quick look (npm run bench uses the defaults).
  const sizes = process.argv.slice(2).map(Number).filter((x) => x >= 500);
  const r = await peerBench(sizes.length ? sizes : SIZES);
  printTable(peerRows(r));
  mergeResults('peer', r);
  process.stdout.write(`\nmerged "peer" into bench/results.json (${new Date(systemClock.now()).toISOString()})\n`);
}
