import { brokerErrorType } from './kafka-retry.js';

/**
 * An ACL refusal (`*_AUTHORIZATION_FAILED`) that a kafkajs client logged. kafkajs swallows some:
 * FindCoordinator's (a group or transactional id the user may not describe) is caught per broker
 * and retried, by a transactional producer for ever; only its log line says why. `type` is the
 * broker's error type, as on kafkajs's own protocol errors (`kafkaAuthorizationFailure` reads it).
 */
export class BrokerRefusal extends Error {
  override readonly name = 'BrokerRefusal';

  constructor(
    readonly type: string,
    message: string,
    /** the request refused, as kafkajs logs it (`Response GroupCoordinator(key: 10, version: 2)`) */
    readonly request: string,
  ) {
    super(message);
  }
}

/** The refusal a kafkajs log entry reports (its `error` field holds the broker's answer), if any. */
export function refusalOfLogEntry(request: unknown, error: unknown): BrokerRefusal | undefined {
  if (typeof error !== 'string') return undefined;
  const type = brokerErrorType(error);
  return type?.endsWith('_AUTHORIZATION_FAILED') ? new BrokerRefusal(type, error, String(request ?? '')) : undefined;
}

/**
 * The brokers refused a worker an operation it cannot work without: retrying cannot help, only an
 * operator granting the ACL. The first report settles `failure` (the Kafka log's EventLog.failure:
 * dtx stops, naming what to grant); later ones are ignored.
 */
export class RefusalSignal {
  #settle: (err: Error) => void = () => undefined;
  #refused: Error | undefined;
  readonly failure = new Promise<Error>((resolve) => (this.#settle = resolve));

  readonly report = (err: Error): void => {
    if (this.#refused !== undefined) return;
    this.#refused = err;
    this.#settle(err);
  };

  /** `work`, or a rejection with the refusal as soon as one is reported (a start that would wait for ever). */
  guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.failure.then((err): never => { throw err; })]);
  }
}
