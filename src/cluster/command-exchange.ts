/**
 * `dtx.internal.Commands/Exchange`, the owner side (docs/kafka.md "Direct commands"): commands an
 * ingress sends straight to this worker are handed to the partition processor in-process, exactly
 * like the worker's own local commands, and each reply goes back on the same stream. A command of
 * a partition this worker does not serve (any more) is answered DTX_NOT_OWNER at once, so the
 * ingress sends it through the commands topic.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { errorReply, type Reply } from '../engine/command.js';
import { NotOwner } from '../errors.js';
import { partitionOf } from '../log/gid-partitioner.js';
import type { LocalOwner } from './command-bus.js';
import { commandOf, type AddressedReply, type DirectCommand } from './command-codec.js';
import { boundedText, COMMANDS, jsonArrayOf, type CommandBatch, type InternalService, type ReplyBatch } from './internal-server.js';
import { addressedReplyOf, MAX_REQUEST_ID } from './reply-service.js';
import { TurnBatch } from './turn-batch.js';

type ExchangeCall = grpc.ServerDuplexStream<CommandBatch, ReplyBatch>;

/** What the owner streams back per command: its reply, and before it, for a `wait` command, that it is durable and waits. */
export type ExchangeAnswer = AddressedReply | { readonly requestId: string; readonly accepted: true };

/** Commands one batch may hold: an ingress flushes once per event-loop turn, far below this. */
const MAX_COMMANDS = 10_000;

/** The commands of a batch; throws naming the first entry that is not one (a peer of another version). */
export function directCommandsOf(json: Buffer): DirectCommand[] {
  return jsonArrayOf(json, MAX_COMMANDS).map((entry, i) => {
    const e = entry as { requestId?: unknown; wait?: unknown; command?: unknown } | null;
    const requestId = boundedText(e?.requestId, MAX_REQUEST_ID);
    const command = commandOf(e?.command);
    if (requestId === undefined || typeof e?.wait !== 'boolean' || command === undefined) throw new TypeError(`entry ${i} is not {requestId, wait, command}`);
    return { requestId, wait: e.wait, command };
  });
}

/** The answers of a batch the owner sent; throws naming the first entry that is not one. */
export function exchangeAnswersOf(json: Buffer): ExchangeAnswer[] {
  return jsonArrayOf(json, MAX_COMMANDS * 2).map((entry, i) => {
    const e = entry as { requestId?: unknown; accepted?: unknown } | null;
    const requestId = boundedText(e?.requestId, MAX_REQUEST_ID);
    return requestId !== undefined && e?.accepted === true ? { requestId, accepted: true } : addressedReplyOf(entry, i);
  });
}

/** Serves direct commands for the partitions this worker serves (none until `serve` is called). */
export class CommandExchange {
  #owner: { local: LocalOwner; partitions: number } | undefined;
  readonly #calls = new Set<ExchangeCall>();

  constructor(private readonly logger: Logger) {}

  /** From now on `local` decides the commands of the partitions it serves (undefined: none). */
  serve(local: LocalOwner | undefined, partitions: number): void {
    this.#owner = local === undefined ? undefined : { local, partitions };
  }

  get service(): InternalService {
    return { definition: COMMANDS as grpc.ServiceDefinition, implementation: { Exchange: (call: ExchangeCall) => this.#exchange(call) } };
  }

  /** Ends every open stream (shutdown): their senders fall back to the topic for what is pending. */
  closeAll(): void {
    for (const call of this.#calls) call.end();
    this.#calls.clear();
  }

  #exchange(call: ExchangeCall): void {
    this.#calls.add(call);
    let open = true;
    const out = new TurnBatch<ExchangeAnswer>((answers) => {
      if (open) call.write({ json: Buffer.from(JSON.stringify(answers), 'utf8'), owner: '' });
    });
    const closed = () => {
      open = false;
      this.#calls.delete(call);
    };
    call.on('cancelled', closed);
    call.on('error', closed);
    call.on('end', () => {
      closed();
      call.end();
    });
    call.on('data', (batch: CommandBatch) => {
      let commands: DirectCommand[];
      try {
        commands = directCommandsOf(batch.json);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'bad CommandBatch from a peer; stream closed');
        closed();
        call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: `bad CommandBatch: ${(err as Error).message}` });
        return;
      }
      for (const c of commands) {
        const accepted = () => out.push({ requestId: c.requestId, accepted: true });
        void this.#decide(c, accepted).then((reply) => out.push({ requestId: c.requestId, reply }));
      }
    });
  }

  #decide({ command, wait }: DirectCommand, accepted: () => void): Promise<Reply> {
    const owner = this.#owner;
    const p = owner === undefined ? -1 : partitionOf(command.gid, owner.partitions);
    if (owner === undefined || !owner.local.serves(p)) return Promise.resolve(errorReply(`this worker does not serve the partition of ${command.gid}; send it through the commands topic`, NotOwner.code));
    // A rejection leaves the outcome unknown: the sender produces the command (applied once).
    return owner.local.deliver(p, command, wait, accepted).catch((err: unknown) => errorReply(`deciding failed here: ${String(err)}`, NotOwner.code));
  }
}
