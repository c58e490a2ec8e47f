import { configDefaults, defineConfig } from 'vitest/config';

// Integration and interop tests start real processes: keep file parallelism low on 2 cores.
// The Kafka tests (several worker processes and a broker each) run after the rest, one file at a
// time: on 2 cores, two of them at once starve heartbeats into spurious rebalances.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    // removes the temp dirs a test file made with tempDir() after its last hook
    setupFiles: ['test/support/temp-dir-cleanup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'core',
          include: ['test/**/*.test.ts'],
          // go-zero's and kratos' interop run in `drivers`: they need the etcd the drivers' global setup starts
          exclude: [...configDefaults.exclude, 'test/kafka/**', 'test/drivers/**', 'test/interop/gozero-interop.test.ts', 'test/interop/kratos-interop.test.ts'],
          fileParallelism: true,
          sequence: { groupOrder: 0 },
          // the Go SDK's branch barrier runs against a real PostgreSQL (scripts/postgres-local.sh on
          // 127.0.0.1:25432); DTX_TEST_PG=host:port uses an external one instead
          globalSetup: ['test/support/postgres-global-setup.ts'],
        },
      },
      {
        // dtx-client (client/): every transaction type over HTTP and gRPC against the real dtx
        // process, the branch barrier on a real PostgreSQL (scripts/postgres-local.sh, 25432),
        // MariaDB (scripts/mysql-local.sh, 23306) and Redis (scripts/redis-local.sh, 26379), and
        // the saga/msg/tcc/workflow tests against real dtm v1.19.0 (scripts/dtm-server.sh, built
        // from the Go module proxy; skipped with the printed reason where it cannot be built).
        extends: true,
        test: {
          name: 'client',
          include: ['client/test/**/*.test.ts'],
          fileParallelism: true,
          sequence: { groupOrder: 0 },
          globalSetup: ['test/support/postgres-global-setup.ts', 'client/test/support/mysql-global-setup.ts', 'client/test/support/redis-global-setup.ts', 'client/test/support/dtm-global-setup.ts'],
        },
      },
      {
        // Microservice drivers against a real etcd (scripts/etcd-local.sh on 127.0.0.1:22379) and,
        // for the Polaris tests, a real Polaris server (scripts/polaris-local.sh on 127.0.0.1:28090);
        // DTX_TEST_ETCD_ENDPOINTS=host:port uses an external etcd instead.
        extends: true,
        test: {
          name: 'drivers',
          include: ['test/drivers/**/*.test.ts', 'test/interop/gozero-interop.test.ts', 'test/interop/kratos-interop.test.ts'],
          fileParallelism: true,
          sequence: { groupOrder: 0 },
          globalSetup: ['test/support/etcd-global-setup.ts', 'test/support/polaris-global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'kafka',
          include: ['test/kafka/**/*.test.ts'],
          fileParallelism: false,
          // A Kafka test awaits several bounded conditions in a row (ownership, takeovers, every
          // transaction finished), each with its own generous bound; on a busy machine their sum
          // exceeds 60 s. The bounds fail first, with a message; this is the backstop.
          testTimeout: 300_000,
          sequence: { groupOrder: 1 },
          // Starts a local Kafka broker (scripts/kafka-local.sh); DTX_TEST_KAFKA_BROKERS=host:port
          // uses an external broker instead (test/support/kafka-broker.ts).
          globalSetup: ['test/support/kafka-global-setup.ts'],
        },
      },
      {
        // The HTTP integration suites (topics included) again, on a Kafka worker (test/support/dtx-process.ts): the
        // same engine must behave the same on either log.
        extends: true,
        test: {
          name: 'kafka-compat',
          include: ['test/integration/{saga,msg,tcc,xa,workflow,workflow-resume,admin-api,bad-input,topics}.int.test.ts'],
          env: { DTX_TEST_STORE: 'kafka', DTX_TEST_KAFKA: '1' },
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          globalSetup: ['test/support/kafka-global-setup.ts'],
        },
      },
    ],
  },
});
