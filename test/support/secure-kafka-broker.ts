import { randomBytes } from 'node:crypto';
import { AclOperationTypes as Op, AclPermissionTypes, AclResourceTypes as Res, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { TEST_KAFKA_PORT } from './kafka-broker.js';
import { OwnKafkaBroker } from './own-kafka-broker.js';
import { withKafkaRetry } from '../../src/log/kafka/kafka-retry.js';

/**
 * A second local broker with secure listeners (scripts/kafka-local.sh with KAFKA_SECURE_PORT):
 * SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and mutual TLS, both with a test CA. It is its own
 * broker, not the shared test broker, so a test of it never depends on how that one was started.
 * Its plaintext port is TEST_KAFKA_PORT+100 (the controller +101), SASL_SSL +102, mutual TLS +103.
 * Each start formats it afresh with a random SASL password.
 */

export interface SecureBroker {
  /** `host:port` of the plaintext listener: ANONYMOUS, a super user (grants the ACLs) */
  readonly plaintext: string;
  /** `host:port` of the SASL_SSL listener */
  readonly saslSsl: string;
  /** `host:port` of the mutual-TLS listener */
  readonly mtls: string;
  /** ca.pem (the CA to trust), client.pem and client.key (for mutual TLS) */
  readonly tlsDir: string;
  readonly username: string;
  readonly password: string;
}

const PORT_OFFSET = 100;

function broker(password: string): OwnKafkaBroker {
  return new OwnKafkaBroker(PORT_OFFSET, { KAFKA_SECURE_PORT: String(TEST_KAFKA_PORT + PORT_OFFSET + 2), KAFKA_SASL_USERNAME: 'dtx', KAFKA_SASL_PASSWORD: password });
}

/** Wipes and starts the secure broker; resolves once it answers. */
export async function startSecureBroker(): Promise<SecureBroker> {
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const b = broker(password);
  await b.reset();
  const out = await b.start();
  const line = (name: string): string => {
    const found = out.split('\n').find((l) => l.startsWith(`${name}=`));
    if (found === undefined) throw new Error(`scripts/kafka-local.sh start printed no ${name}= line:\n${out}`);
    return found.slice(name.length + 1);
  };
  return { plaintext: line('KAFKA_BROKERS'), saslSsl: line('KAFKA_SASL_SSL_BROKERS'), mtls: line('KAFKA_MTLS_BROKERS'), tlsDir: line('KAFKA_TLS_DIR'), username: 'dtx', password };
}

export async function stopSecureBroker(): Promise<void> {
  await broker('unused-on-stop').stop();
}

/**
 * The ACLs a dtx worker needs, as docs/kafka.md ("Secured brokers") lists them, for the resources
 * of one `prefix`: every resource named `<prefix>...` (topics, groups, transactional ids).
 */
export const DTX_ACLS: ReadonlyArray<{ resourceType: Res; operations: readonly Op[] }> = [
  { resourceType: Res.TOPIC, operations: [Op.CREATE, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.READ, Op.WRITE] },
  { resourceType: Res.GROUP, operations: [Op.READ, Op.DESCRIBE] },
  { resourceType: Res.TRANSACTIONAL_ID, operations: [Op.WRITE, Op.DESCRIBE] },
];

/**
 * Grants `principal` (`User:dtx`, `User:CN=dtx`) DTX_ACLS on the resources of `prefix`, through the
 * plaintext listener; but those `withhold` names (an ACL an operator forgot).
 */
export async function grantDtx(broker: SecureBroker, prefix: string, principal: string, withhold: (resource: Res, operation: Op) => boolean = () => false): Promise<void> {
  const admin = new Kafka({ clientId: 'acl-grant', brokers: [broker.plaintext], logLevel: logLevel.NOTHING }).admin();
  // retried like dtx's own admin calls: on a loaded machine a request times out now and then, and
  // creating an ACL that exists already changes nothing
  await withKafkaRetry('acl-grant connect', () => admin.connect());
  try {
    const acl = DTX_ACLS.flatMap(({ resourceType, operations }) =>
      operations
        .filter((operation) => !withhold(resourceType, operation))
        .map((operation) => ({ resourceType, resourceName: prefix, resourcePatternType: ResourcePatternTypes.PREFIXED, principal, host: '*', operation, permissionType: AclPermissionTypes.ALLOW })),
    );
    await withKafkaRetry('acl-grant createAcls', () => admin.createAcls({ acl }));
  } finally {
    await admin.disconnect();
  }
}
