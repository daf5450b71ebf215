/**
 * Structured logging to stderr (stdout is protocol in stdio mode). One JSON object per
 * line. A sink can be attached so the MCP `logging` capability forwards records to the
 * connected client.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export type LogSink = (level: LogLevel, msg: string, fields: Record<string, unknown>) => void;

export interface RootLogger extends Logger {
  /** Adds a sink (e.g. the MCP logging bridge); returns a function that removes it. */
  addSink(sink: LogSink): () => void;
}

/** Creates the stderr logger. `write` is injectable for tests. */
export function createLogger(opts: { level?: LogLevel; write?: (line: string) => void; now?: () => number } = {}): RootLogger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const sinks = new Set<LogSink>();
  const emit = (level: LogLevel, msg: string, base: Record<string, unknown>, fields?: Record<string, unknown>) => {
    const all = { ...base, ...fields };
    for (const sink of sinks) {
      try {
        sink(level, msg, all);
      } catch {
        // A failing sink (a disconnected client) must never break the caller.
      }
    }
    if (ORDER[level] < min) return;
    const rec: Record<string, unknown> = { level, msg, ...all };
    if (opts.now) rec.time = new Date(opts.now()).toISOString();
    for (const [k, v] of Object.entries(rec)) if (v instanceof Error) rec[k] = { name: v.name, message: v.message };
    write(JSON.stringify(rec));
  };
  const make = (base: Record<string, unknown>): Logger => ({
    debug: (m, f) => emit('debug', m, base, f),
    info: (m, f) => emit('info', m, base, f),
    warn: (m, f) => emit('warn', m, base, f),
    error: (m, f) => emit('error', m, base, f),
    child: (f) => make({ ...base, ...f }),
  });
  return Object.assign(make({}), {
    addSink(sink: LogSink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
  });
}

export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return nullLogger;
  },
};
