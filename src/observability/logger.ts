import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type Pretty from 'pino-pretty';
import type { LogFormat } from '../config/index.js';

export interface LoggerOptions {
  readonly level: string;
  /** dtm's Log.Outputs: comma list of `stderr`, `stdout` or file paths. */
  readonly outputs: string;
  /**
   * `Log.Format`. `auto`: human-readable lines on stderr/stdout when that stream is a terminal,
   * JSON lines otherwise (pipes, files, log shippers, the tests). Files are always JSON.
   */
  readonly format?: LogFormat;
  /** Whether fd 1 or 2 is a terminal; injected by tests. Default: the process's streams. */
  readonly isTTY?: (fd: 1 | 2) => boolean;
}

const require = createRequire(import.meta.url);
/** pino-pretty is loaded only for human-readable output: a server logging JSON never needs it. */
const pretty = (...args: Parameters<typeof Pretty>): ReturnType<typeof Pretty> => (require('pino-pretty') as typeof Pretty)(...args);

const processTTY = (fd: 1 | 2): boolean => (fd === 1 ? process.stdout.isTTY : process.stderr.isTTY) === true;

/**
 * The one root logger (STYLE L11); components take children. Branch payloads are never logged.
 * Times are ISO 8601 UTC (`"time":"2026-01-02T03:04:05.678Z"`) in JSON and pretty output alike.
 */
export function createRootLogger(opts: LoggerOptions): Logger {
  const isTTY = opts.isTTY ?? processTTY;
  const format = opts.format ?? 'auto';
  const streams = opts.outputs
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((target) => ({ level: opts.level as pino.Level, stream: destinationOf(target, format, isTTY) }));
  const base = {
    base: { service: 'dtx' },
    level: opts.level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['payload', 'params.payload', 'bin_data'],
  };
  if (streams.length <= 1) return pino(base, streams[0]?.stream ?? destinationOf('stderr', format, isTTY));
  return pino(base, pino.multistream(streams));
}

function destinationOf(target: string, format: LogFormat, isTTY: (fd: 1 | 2) => boolean): DestinationStream {
  const fd = target === 'stderr' ? 2 : target === 'stdout' ? 1 : undefined;
  if (fd === undefined) return pino.destination({ dest: target, mkdir: true, sync: false });
  const terminal = isTTY(fd);
  if (format === 'pretty' || (format === 'auto' && terminal)) return prettyStream(fd, terminal);
  return pino.destination(fd);
}

/** One line per record: `[time] LEVEL: [component] message {other fields}`; errors add their stack. */
function prettyStream(fd: 1 | 2, colorize: boolean): DestinationStream {
  return pretty({
    destination: fd,
    sync: true,
    colorize,
    singleLine: true,
    translateTime: "UTC:yyyy-mm-dd'T'HH:MM:ss.l'Z'",
    ignore: 'pid,hostname,service,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
  });
}
