import { describe, expect, it } from 'vitest';
import { BrokerRefusal, refusalOfLogEntry, RefusalSignal } from '../../../src/log/kafka/broker-refusal.js';
import { kafkaAuthorizationFailure } from '../../../src/errors.js';

describe('refusalOfLogEntry', () => {
  it('turns a logged ACL refusal into an error kafkaAuthorizationFailure recognises', () => {
    const r = refusalOfLogEntry('Response GroupCoordinator(key: 10, version: 2)', 'Transactional Id authorization failed');
    expect(r).toBeInstanceOf(BrokerRefusal);
    expect(r?.type).toBe('TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
    expect(r?.request).toBe('Response GroupCoordinator(key: 10, version: 2)');
    expect(kafkaAuthorizationFailure(r)).toBe('TRANSACTIONAL_ID_AUTHORIZATION_FAILED: Transactional Id authorization failed');
    expect(refusalOfLogEntry('Response JoinGroup(key: 11, version: 5)', 'Not authorized to access group: Group authorization failed')?.type).toBe('GROUP_AUTHORIZATION_FAILED');
  });

  it('ignores other broker answers, unknown texts and entries without an error', () => {
    expect(refusalOfLogEntry('Response Produce', 'This server is not the leader for that topic-partition')).toBeUndefined();
    expect(refusalOfLogEntry('Connection error', 'connect ECONNREFUSED 127.0.0.1:9092')).toBeUndefined();
    expect(refusalOfLogEntry('Response Metadata', undefined)).toBeUndefined();
    expect(refusalOfLogEntry('Response Metadata', { type: 'GROUP_AUTHORIZATION_FAILED' })).toBeUndefined();
  });
});

describe('RefusalSignal', () => {
  it('settles failure with the first report only', async () => {
    const signal = new RefusalSignal();
    const first = new Error('first');
    signal.report(first);
    signal.report(new Error('second'));
    await expect(signal.failure).resolves.toBe(first);
  });

  it('guard: the work when no refusal comes, the refusal as soon as one does', async () => {
    const signal = new RefusalSignal();
    await expect(signal.guard(Promise.resolve(7))).resolves.toBe(7);
    const forever = signal.guard(new Promise<never>(() => undefined));
    const refusal = new Error('refused');
    signal.report(refusal);
    await expect(forever).rejects.toBe(refusal);
  });

  it('a guard already settled leaves no unhandled rejection behind when a refusal comes later', async () => {
    const signal = new RefusalSignal();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await signal.guard(Promise.resolve('opened'));
      signal.report(new Error('later'));
      await signal.failure;
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
