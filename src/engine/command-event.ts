import { BRANCH_EVENT_OF, BRANCH_URL_FIELDS, registerRefused, type Limits, type TransEvent, type TransTypeRegistry } from '../../machines/index.js';
import type { Command, Reply } from './command.js';
import { errorReply, OK } from './command.js';
import { LiveTransaction } from './live-transaction.js';

/**
 * Turns a command into the machine event that would record it. Whether the event is accepted is
 * the machine's decision; this only handles what needs no machine: unknown gids and types.
 */
export type Translation =
  | { readonly event: TransEvent; readonly live: LiveTransaction; readonly created: boolean }
  | { readonly reply: Reply };

export function notFound(gid: string): Reply {
  return errorReply(`no TransGlobal with gid: ${gid} found`, 'DTX_TRANS_NOT_FOUND');
}

/** registerBranch where no branch can be registered: dtm's text, or dtx's for a type that takes none. */
function refused(gid: string, typeTakingNone?: string): Reply {
  if (typeTakingNone !== undefined) return errorReply(`trans type '${typeTakingNone}' takes no registered branches FAILURE`, 'DTX_INVALID_TRANSITION');
  return errorReply(registerRefused(gid).message, 'DTX_INVALID_TRANSITION');
}

/**
 * A branch registered over gRPC into a transaction of protocol `http` (prepared over HTTP) would be
 * called over HTTP: a URL that is not http(s) could never be called, and is refused naming the field.
 */
function transportMismatch(protocol: string, fields: Readonly<Record<string, string>>): string | undefined {
  if (protocol !== 'http') return undefined;
  const key = BRANCH_URL_FIELDS.find((k) => (fields[k] ?? '') !== '' && !/^https?:\/\//.test(fields[k]!));
  return key === undefined ? undefined : `${key}: the transaction calls its branches over HTTP (protocol http); register an http:// or https:// URL`;
}

export function translate(cmd: Command, live: LiveTransaction | undefined, at: number, registry: TransTypeRegistry, limits: Limits): Translation {
  const exists = live !== undefined && live.status !== '';
  switch (cmd.kind) {
    case 'prepare':
    case 'prepareWorkflow':
    case 'submit': {
      if (!exists) {
        const def = registry.get(cmd.spec.transType);
        if (def === undefined) return { reply: errorReply(`unknow trans type: ${cmd.spec.transType}`, 'DTX_BAD_REQUEST') };
        const invalid = def.validate?.(cmd.spec);
        if (invalid !== undefined) return { reply: errorReply(invalid, 'DTX_BAD_REQUEST') };
        const status = cmd.kind === 'submit' ? 'submitted' : 'prepared';
        return { event: { type: 'TransCreated', at, status, spec: cmd.spec, limits }, live: LiveTransaction.empty(cmd.gid, def), created: true };
      }
      // a prepareWorkflow of a known gid is answered by the processor before translation;
      // a submit's body is checked as a creation's is: a prepared msg takes its custom_data (delay)
      const invalid = cmd.kind === 'submit' ? live.def.validate?.(cmd.spec) : undefined;
      if (invalid !== undefined) return { reply: errorReply(invalid, 'DTX_BAD_REQUEST') };
      const event: TransEvent =
        cmd.kind === 'submit' ? { type: 'TransSubmitted', at, spec: cmd.spec } : { type: 'TransCreated', at, status: 'prepared', spec: cmd.spec, limits };
      return { event, live, created: false };
    }
    case 'abort':
      return exists ? { event: { type: 'TransAborted', at, requestType: cmd.requestType, reason: cmd.reason }, live, created: false } : { reply: notFound(cmd.gid) };
    case 'registerBranch': {
      // dtm answers an unknown gid like a transaction that is not prepared (spec §5.5)
      if (!exists) return { reply: refused(cmd.gid) };
      if (!live.def.machine.root.events.includes('BranchRegistered')) return { reply: refused(cmd.gid, live.status === 'prepared' ? live.def.name : undefined) };
      const mismatch = transportMismatch(live.context.protocol, cmd.registration.fields);
      if (mismatch !== undefined) return { reply: errorReply(mismatch, 'DTX_BAD_REQUEST') };
      return { event: { type: 'BranchRegistered', at, ...cmd.registration }, live, created: false };
    }
    case 'forceStop':
      return exists ? { event: { type: 'TransForceStopped', at }, live, created: false } : { reply: notFound(cmd.gid) };
    case 'resetNextCronTime':
      return exists ? { event: { type: 'CronReset', at }, live, created: false } : { reply: notFound(cmd.gid) };
    case 'cronFired':
      return exists ? { event: { type: 'CronFired', at }, live, created: false } : { reply: OK };
    case 'query':
    case 'awaitResult':
    case 'topic':
      return { reply: OK }; // answered by the processor before translation (topics: src/engine/topic-book.ts)
    case 'branchResult': {
      if (!exists) return { reply: OK };
      const type = BRANCH_EVENT_OF[cmd.result];
      const event = { type, at, branchId: cmd.branchId, op: cmd.op, attempt: cmd.attempt, ...(cmd.message ? { message: cmd.message } : {}) } as TransEvent;
      return { event, live, created: false };
    }
  }
}
