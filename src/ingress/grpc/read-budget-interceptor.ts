import * as grpc from '@grpc/grpc-js';
import type { ReadBudget, Release } from '../read-budget.js';
import { messageDeadlineStatus } from './grpc-interceptors.js';

/**
 * gRPC request messages against the shared `ReadBudget` (`HttpMaxBodyBytesInFlight`). grpc-js
 * buffers a message until it is complete, before any interceptor sees it: without a total, one
 * connection of 300 calls each sending 999 KB of a 1 MB message held 286 MiB, and connections are
 * not capped. grpc-js reads a call's stream only once the handler asks for its next message
 * (`startRead`); this interceptor holds that request until the budget admits `bytes` (the largest
 * message, `HttpMaxBodyBytes`), and gives them back once the message, the half-close, or the end
 * of the call arrives. A call held back keeps its stream paused: HTTP/2 flow control then stops
 * its sender after a stream window (~64 KiB), so a waiting call buffers little. Calls wait in
 * order; a dtm call still has `GrpcMessageTimeout` for its message, time spent waiting included.
 *
 * A read holding the budget must be answered within `readTimeoutMs` (`GrpcMessageTimeout`), for
 * every method, else the call ends DEADLINE_EXCEEDED: a unary call that never half-closes after its
 * message, or an idle reflection stream, would otherwise hold `bytes` of the budget for ever.
 */
export function readBudgetInterceptor(budget: ReadBudget, bytes: number, readTimeoutMs: number): grpc.ServerInterceptor {
  return (_method, call) => {
    const expire = () => call.sendStatus(messageDeadlineStatus(readTimeoutMs));
    return new BudgetedCall(call, new ReadHold(budget, bytes, readTimeoutMs, expire));
  };
}

/** The reservation of one call: at most one read at a time is asked for or granted. */
class ReadHold {
  #release: Release | undefined;
  #withdraw: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;

  constructor(
    private readonly budget: ReadBudget,
    private readonly bytes: number,
    private readonly timeoutMs: number,
    private readonly expire: () => void,
  ) {}

  /** Runs `read` once `bytes` are reserved; at once after the call ended (nothing is buffered then). */
  request(read: () => void): void {
    if (this.#ended) return read();
    this.settle();
    let granted = false;
    const withdraw = this.budget.reserve(this.bytes, (release) => {
      granted = true;
      this.#withdraw = undefined;
      if (this.#ended) return release();
      this.#release = release;
      this.#timer = setTimeout(this.expire, this.timeoutMs);
      read(); // may answer at once, and the handler ask for its next read: request re-enters
    });
    if (!granted) this.#withdraw = withdraw;
  }

  /** The read was answered (a message or the half-close): its bytes are no longer buffered here. */
  settle(): void {
    this.#withdraw?.();
    this.#withdraw = undefined;
    this.#release?.();
    this.#release = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The call ended (its status was sent, or it was cancelled). */
  end(): void {
    this.#ended = true;
    this.settle();
  }

  listener(): grpc.ServerListener {
    return {
      onReceiveMessage: (message, next) => {
        this.settle();
        next(message);
      },
      onReceiveHalfClose: (next) => {
        this.settle();
        next();
      },
      onCancel: () => this.end(),
    };
  }
}

class BudgetedCall extends grpc.ServerInterceptingCall {
  readonly #hold: ReadHold;

  constructor(call: grpc.ServerInterceptingCallInterface, hold: ReadHold) {
    super(call, {
      start: (next) => next(hold.listener()),
      sendStatus: (status, next) => {
        hold.end();
        next(status);
      },
    });
    this.#hold = hold;
  }

  override startRead(): void {
    this.#hold.request(() => super.startRead());
  }
}
