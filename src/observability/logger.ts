import pino, { type Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** dtm's Log.Outputs: comma list of `stderr`, `stdout` or file paths. */
  readonly outputs: string;
}

/** The one root logger (STYLE L11); components take children. Branch payloads are never logged. */
export function createRootLogger(opts: LoggerOptions): Logger {
  const targets = opts.outputs
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const streams = targets.map((t) => ({
    level: opts.level as pino.Level,
    stream: t === 'stderr' ? pino.destination(2) : t === 'stdout' ? pino.destination(1) : pino.destination({ dest: t, mkdir: true, sync: false }),
  }));
  const base = { base: { service: 'dtx' }, level: opts.level, redact: ['payload', 'params.payload', 'bin_data'] };
  if (streams.length <= 1) return pino(base, streams[0]?.stream ?? pino.destination(2));
  return pino(base, pino.multistream(streams));
}
