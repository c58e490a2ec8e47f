/**
 * Where the examples find the coordinator: `npm start` at the repository root runs dtx with its
 * defaults (HTTP 36789, gRPC 36790). DTX_HTTP / DTX_GRPC point them at another dtx or at dtm.
 */
export const DTX_HTTP = process.env.DTX_HTTP ?? 'http://127.0.0.1:36789/api/dtmsvr';
export const DTX_GRPC = process.env.DTX_GRPC ?? '127.0.0.1:36790';

/** One line on stdout (the examples print what happens, and the tests read it). */
export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
