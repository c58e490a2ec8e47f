import { createInterface } from 'node:readline';
import { startDtx, type DtxProcess } from '../support/dtx-process.js';
import { answerNote, answerProblem, outcomeClass, parseAnswer, type FuzzAnswer } from './answer-rules.js';
import { FuzzBranchService } from './fuzz-branch-service.js';
import { describeRequest, type FuzzRequest } from './fuzz-requests.js';
import { fieldOf, storedGid, type Body } from './fuzz-trans-bodies.js';
import { pointsAtDtx, type UrlTargets } from './fuzz-urls.js';
import { OutcomeTally } from './outcome-tally.js';

/** Longest a single request may take: a wait_result pass over a few slow branches fits well within. */
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * Environment of the fuzzed process: a small body limit so that oversize bodies are cheap to send,
 * and a payload budget (16 MiB) that long runs fill, so that the retryable 503 is exercised too.
 */
export const FUZZ_DTX_ENV = { HTTP_MAX_BODY_BYTES: '262144', MAX_OPEN_PAYLOAD_BYTES: '16777216', LOG_LEVEL: 'info' } as const;

/**
 * The system under fuzz: the real `dtx serve` process and the fuzz branch service, with the
 * checks run after every request: the answer keeps the API contract (answer-rules.ts), the process
 * is alive and answers /api/ping. Gids accepted by prepare/submit are remembered for the final
 * settlement; log lines at level >= 50 are collected.
 */
export class FuzzTarget {
  readonly tally = new OutcomeTally();
  /** gid -> route that accepted it (prepare/submit answered 2xx). */
  readonly accepted = new Map<string, string>();
  /** dtx stderr lines at level error (50) or fatal (60). */
  readonly errorLines: string[] = [];

  private constructor(readonly dtx: DtxProcess, readonly branches: FuzzBranchService) {
    createInterface({ input: dtx.proc.stderr! }).on('line', (line) => {
      if (/"level":(5\d|6\d)/.test(line)) this.errorLines.push(line);
    });
  }

  static async start(env: Record<string, string> = {}): Promise<FuzzTarget> {
    const [dtx, branches] = await Promise.all([startDtx({ env: { ...FUZZ_DTX_ENV, ...env } }), FuzzBranchService.start()]);
    return new FuzzTarget(dtx, branches);
  }

  get targets(): UrlTargets {
    return { branchPort: this.branches.port, dtxPort: this.dtx.port };
  }

  get base(): string {
    return `http://127.0.0.1:${this.dtx.port}`;
  }

  /** Sends one request; throws only when dtx gives no answer in time. */
  async send(req: FuzzRequest): Promise<FuzzAnswer> {
    const res = await fetch(`${this.base}${req.path}`, {
      method: req.method,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(req.headers ? { headers: req.headers } : {}),
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
    return parseAnswer(res.status, await res.text());
  }

  /** Why dtx is not alive (exited, or /api/ping does not answer 200), or undefined. */
  async deadReason(): Promise<string | undefined> {
    const p = this.dtx.proc;
    if (p.exitCode !== null || p.signalCode !== null) return `dtx exited (code ${p.exitCode}, signal ${p.signalCode})`;
    try {
      const res = await fetch(`${this.base}/api/ping`, { signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
      await res.arrayBuffer();
      return res.status === 200 ? undefined : `/api/ping answered ${res.status}`;
    } catch (err) {
      return `/api/ping failed: ${String(err)}`;
    }
  }

  /** Sends `req` as one case of `property` and checks every per-case property; throws naming the case. */
  async exercise(req: FuzzRequest): Promise<FuzzAnswer> {
    let answer: FuzzAnswer;
    try {
      answer = await this.send(req);
    } catch (err) {
      throw new Error(`no answer: ${String(err)}\n${describeRequest(req)}\n${await this.#state()}`);
    }
    this.tally.countAnswer(req.route, outcomeClass(answer));
    const note = answerNote(req, answer);
    if (note !== undefined) this.tally.note(note);
    const problem = answerProblem(req, answer) ?? this.#remember(req, answer) ?? (await this.deadReason());
    if (problem !== undefined) {
      throw new Error(`${problem}\n${describeRequest(req)}\nanswer ${answer.status}: ${answer.text.slice(0, 1000)}\n${await this.#state()}`);
    }
    return answer;
  }

  async close(): Promise<void> {
    await Promise.all([this.dtx.kill(), this.branches.close()]);
  }

  /** Records a gid accepted by prepare/submit/prepareWorkflow; a problem if its URLs point at dtx itself. */
  #remember(req: FuzzRequest, answer: FuzzAnswer): string | undefined {
    if (answer.status !== 200 || (req.route !== 'prepare' && req.route !== 'submit' && req.route !== 'prepareWorkflow')) return undefined;
    const body = req.json ?? bodyOfText(req.body);
    const gid = body === undefined ? undefined : storedGid(body);
    if (body === undefined || gid === undefined) return 'an accepted transaction body has no string gid';
    this.accepted.set(gid, req.route);
    const steps = fieldOf(body, 'steps');
    // every step value but the legacy `data` payload is a URL (the schema checks them the same way)
    const stepUrls = Array.isArray(steps) ? steps.flatMap((s) => Object.entries(s as object).filter(([k]) => k !== 'data').map(([, v]) => v as unknown)) : [];
    const urls = [fieldOf(body, 'query_prepared'), ...stepUrls];
    const self = urls.find((u) => typeof u === 'string' && pointsAtDtx(u, this.dtx.port, fieldOf(body, 'protocol')));
    return self === undefined ? undefined : `dtx accepted a branch URL that points at its own API: ${String(self)}`;
  }

  async #state(): Promise<string> {
    const dead = await this.deadReason();
    const errors = this.errorLines.slice(-5).join('\n');
    return `dtx: ${dead ?? 'alive'}${errors ? `\nrecent error log lines:\n${errors}` : ''}`;
  }
}

function bodyOfText(body: FuzzRequest['body']): Body | undefined {
  try {
    const v: unknown = JSON.parse(typeof body === 'string' ? body : Buffer.from(body ?? []).toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : undefined;
  } catch {
    return undefined;
  }
}
