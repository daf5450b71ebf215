import { describe, expect, it } from 'vitest';
import { rng } from '../../bench/rng.js';
import { MessageSizeGuard, requestIdAtEdges, type DroppedMessage } from '../../src/transports/message-size-guard.js';

/** Feeds `chunks` through a guard; returns what came out and what was dropped. */
async function run(chunks: Buffer[], maxBytes: number) {
  const dropped: DroppedMessage[] = [];
  const guard = new MessageSizeGuard(maxBytes, (m) => dropped.push(m));
  const out: Buffer[] = [];
  guard.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise((resolve) => guard.on('end', resolve));
  for (const c of chunks) guard.write(c);
  guard.end();
  await ended;
  return { out: Buffer.concat(out).toString('utf8'), dropped };
}

/** Cuts `text` into chunks at random places (some empty, some spanning several lines). */
function cut(text: string, r: () => number): Buffer[] {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = Math.floor(r() * r() * 300);
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

const request = (id: number, text: string) => JSON.stringify({ method: 'tools/call', params: { name: 'record_event', arguments: { text } }, jsonrpc: '2.0', id }) + '\n';

describe('MessageSizeGuard', () => {
  it('passes every message through whole and in order, however stdin cuts it', async () => {
    const r = rng(11);
    for (let round = 0; round < 200; round++) {
      const messages = Array.from({ length: 1 + Math.floor(r() * 8) }, (_, i) => request(i, 'é'.repeat(Math.floor(r() * 120))));
      const text = messages.join('');
      const { out, dropped } = await run(cut(text, r), 1_000);
      expect(out).toBe(text);
      expect(dropped).toEqual([]);
    }
  });

  it('drops a message over the limit as it streams, reports its size and id, and passes the next ones', async () => {
    const r = rng(12);
    for (let round = 0; round < 100; round++) {
      const small = request(1, 'before');
      const big = request(77, 'x'.repeat(2_000 + Math.floor(r() * 3_000)));
      const after = request(2, 'after');
      const { out, dropped } = await run(cut(small + big + after + 'tail without newline', r), 1_000);
      expect(out).toBe(small + after + 'tail without newline');
      expect(dropped).toEqual([{ bytes: Buffer.byteLength(big) - 1, id: 77 }]);
    }
  });

  it('takes a message exactly at the limit and drops one byte more', async () => {
    const at = 'a'.repeat(50) + '\n';
    const over = 'b'.repeat(51) + '\n';
    const { out, dropped } = await run([Buffer.from(at + over + at)], 50);
    expect(out).toBe(at + at);
    expect(dropped).toEqual([{ bytes: 51, id: null }]);
  });

  it('reports a message still over the limit when stdin ends', async () => {
    const { out, dropped } = await run([Buffer.from('{"jsonrpc":"2.0","id":"abc",' + 'x'.repeat(500))], 100);
    expect(out).toBe('');
    expect(dropped).toEqual([{ bytes: 528, id: 'abc' }]);
  });
});

describe('requestIdAtEdges', () => {
  it('reads the top-level id at the head ({"jsonrpc":"2.0","id":…) or at the tail (…,"id":…})', () => {
    expect(requestIdAtEdges('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arg', 'whatever')).toBe(7);
    expect(requestIdAtEdges('{ "id" : "req-1", "jsonrpc": "2.0"', '')).toBe('req-1');
    expect(requestIdAtEdges('{"method":"tools/call","params":{"argu', 'xxxxx"}},"jsonrpc":"2.0","id":42}')).toBe(42);
    expect(requestIdAtEdges('{"method":"x"', 'xxx","id":"a\\"b"}\r\n')).toBe('a"b');
  });

  it('does not take an id nested in params, or a malformed one', () => {
    expect(requestIdAtEdges('{"method":"tools/call","params":{"id":5', '"arguments":{"id":9}}}')).toBeNull();
    expect(requestIdAtEdges('{"params":{"id":3},"id":4', 'xx","jsonrpc":"2.0"}')).toBeNull();
    expect(requestIdAtEdges('', 'some text \\"id\\":5}"}')).toBeNull();
    expect(requestIdAtEdges('{"id":1e400', '')).toBeNull();
    expect(requestIdAtEdges('{"id":9999999999999999', '')).toBeNull();
    expect(requestIdAtEdges('', '')).toBeNull();
  });
});
