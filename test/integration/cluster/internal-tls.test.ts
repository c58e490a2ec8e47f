import * as grpc from '@grpc/grpc-js';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalOwner } from '../../../src/cluster/command-bus.js';
import { CommandExchange } from '../../../src/cluster/command-exchange.js';
import { internalCredentialsOf, startInternalServer, type InternalCredentials } from '../../../src/cluster/internal-server.js';
import { OwnerLinks } from '../../../src/cluster/owner-links.js';
import { ReplyHub } from '../../../src/cluster/reply-hub.js';
import { repliesService, ReplySender } from '../../../src/cluster/reply-service.js';
import { ConfigError, resolveConfig } from '../../../src/config/index.js';
import type { Command, Reply } from '../../../src/engine/command.js';
import { NotOwner } from '../../../src/errors.js';
import { CONFIG_DEFAULTS } from '../../../src/config/config-schema.js';
import { TlsSettings } from '../../../src/tls/tls-settings.js';
import { makeTestCerts, type TestCerts } from '../../support/test-certs.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * `InternalTls` on real gRPC over 127.0.0.1: mutual TLS between Kafka workers. A worker with the
 * workers' CA and its certificate sends direct commands and replies; a caller without TLS, without
 * a client certificate, or with one another CA signed is refused. Certificates and CA renewed in
 * place are used for new connections without a restart.
 */
const logger = pino({ level: 'silent' });
const PARTITIONS = 4;
const query = (gid: string): Command => ({ id: `q-${gid}`, gid, kind: 'query' });
const owner: LocalOwner = {
  serves: () => true,
  deliver: (_p: number, cmd: Command): Promise<Reply> => Promise.resolve({ ok: true, view: `decided ${cmd.id}` }),
};

let certs: TestCerts;
let dir: string;
let tls: InternalCredentials;
const settings: TlsSettings[] = [];
const hub = new ReplyHub();
let server: { port: number; stop(): Promise<void> };
let address: string;

function write(name: string, content: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** `InternalTls` of a Kafka worker with these files, following them. */
function internalTlsOf(env: Record<string, string>): TlsSettings {
  const made = TlsSettings.of(resolveConfig({ env: { ...env, STORE_DRIVER: 'kafka' } }).config, logger);
  settings.push(made);
  return made;
}

async function exchangeServer(credentials: grpc.ServerCredentials): Promise<{ port: number; stop(): Promise<void> }> {
  const exchange = new CommandExchange(logger);
  exchange.serve(owner, PARTITIONS);
  return startInternalServer([exchange.service], '127.0.0.1', 0, [], CONFIG_DEFAULTS.GrpcMaxConcurrentStreams, logger, credentials);
}

beforeAll(async () => {
  certs = makeTestCerts();
  dir = tempDir('dtx-internal-tls-');
  const env = { INTERNAL_TLS_CERT_FILE: write('peer.crt', certs.peerCert), INTERNAL_TLS_KEY_FILE: write('peer.key', certs.peerKey), INTERNAL_TLS_CA_FILE: write('ca.crt', certs.ca) };
  tls = internalCredentialsOf(internalTlsOf(env).internal);
  const exchange = new CommandExchange(logger);
  exchange.serve(owner, PARTITIONS);
  server = await startInternalServer([exchange.service, repliesService(hub)], '127.0.0.1', 0, [], CONFIG_DEFAULTS.GrpcMaxConcurrentStreams, logger, tls.server);
  address = `127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.stop();
  for (const s of settings) s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function commandThrough(credentials: grpc.ChannelCredentials | undefined, to = address): Promise<Reply> {
  const links = new OwnerLinks('me:1', logger, undefined, credentials);
  try {
    return await links.deliver(0, to, query('g-1'), false, 10_000);
  } finally {
    links.close();
  }
}

describe('InternalTls: mutual TLS between workers', () => {
  it('a worker with the CA and its certificate sends direct commands and replies', async () => {
    expect(await commandThrough(tls.peers)).toEqual({ ok: true, view: 'decided q-g-1' });
    const sender = new ReplySender('other:1', new ReplyHub(), logger, undefined, tls.peers);
    const id = hub.newRequestId();
    const wait = hub.expect(id, 10_000, 0);
    sender.send(address, { requestId: id, reply: { ok: true, view: 'over TLS' } });
    expect(await wait).toEqual({ ok: true, view: 'over TLS' });
    sender.close();
  });

  it.each([
    ['plaintext', () => undefined],
    ['TLS without a client certificate', () => grpc.credentials.createSsl(certs.ca)],
    ['a client certificate another CA signed', () => grpc.credentials.createSsl(certs.ca, certs.strangerKey, certs.strangerCert)],
  ])('refuses %s: the command is not delivered (the sender falls back to the topic)', async (_what, credentials) => {
    const reply = await commandThrough(credentials());
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.code).toBe(NotOwner.code);
  });

  it('a worker does not call a server another CA signed', async () => {
    const stranger = await exchangeServer(grpc.ServerCredentials.createSsl(certs.otherCa, [{ private_key: certs.strangerKey, cert_chain: certs.strangerCert }], true));
    const links = new OwnerLinks('me:1', logger, undefined, tls.peers);
    try {
      const reply = await links.deliver(0, `127.0.0.1:${stranger.port}`, query('g-2'), false, 10_000);
      expect(!reply.ok && reply.code).toBe(NotOwner.code);
    } finally {
      links.close();
      await stranger.stop();
    }
  });

  it('half a setting is refused naming the missing key; an unreadable file names its key', () => {
    expect(() => resolveConfig({ env: { INTERNAL_TLS_CERT_FILE: '/c.pem', INTERNAL_TLS_KEY_FILE: '/k.pem' } })).toThrow(/InternalTls.CaFile.*go together/);
    const { config } = resolveConfig({ env: { INTERNAL_TLS_CERT_FILE: '/no/c.pem', INTERNAL_TLS_KEY_FILE: '/no/k.pem', INTERNAL_TLS_CA_FILE: '/no/ca.pem' } });
    let error: unknown;
    try {
      TlsSettings.of({ ...config, Store: { ...config.Store, Driver: 'kafka' } }, logger);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('InternalTls.CaFile'); // the first file read
  });

  it('a renewed CA and certificates, replaced in place on both workers, serve and call new connections without a restart', async () => {
    const renewed = makeTestCerts(); // a new CA: nothing the first one signed passes any more
    const files = (side: string) => ({
      INTERNAL_TLS_CERT_FILE: write(`${side}-peer.crt`, certs.peerCert), INTERNAL_TLS_KEY_FILE: write(`${side}-peer.key`, certs.peerKey), INTERNAL_TLS_CA_FILE: write(`${side}-ca.crt`, certs.ca),
    });
    const serving = internalTlsOf(files('serving'));
    const calling = internalTlsOf(files('calling'));
    const served = await exchangeServer(internalCredentialsOf(serving.internal).server);
    const to = `127.0.0.1:${served.port}`;
    let renewedOnly: { port: number; stop(): Promise<void> } | undefined;
    try {
      const peers = internalCredentialsOf(calling.internal).peers;
      expect(await commandThrough(peers, to)).toEqual({ ok: true, view: 'decided q-g-1' });
      for (const side of ['serving', 'calling']) {
        // as a secret mount: each file replaced whole
        for (const [name, pem] of [['peer.key', renewed.peerKey], ['peer.crt', renewed.peerCert], ['ca.crt', renewed.ca]] as const) {
          writeFileSync(path.join(dir, `${side}-${name}.new`), pem);
          renameSync(path.join(dir, `${side}-${name}.new`), path.join(dir, `${side}-${name}`));
        }
      }
      expect([serving.reload(), calling.reload()]).toEqual([true, true]);
      // each check on credentials of its own (grpc-js shares a connection between equal ones): a new connection
      const renewedSsl = grpc.credentials.createSsl(renewed.ca, renewed.peerKey, renewed.peerCert);
      expect(await commandThrough(renewedSsl, to)).toEqual({ ok: true, view: 'decided q-g-1' }); // the server serves and trusts the renewed files
      const old = await commandThrough(grpc.credentials.createSsl(certs.ca, certs.peerKey, certs.peerCert), to);
      expect(!old.ok && old.code).toBe(NotOwner.code); // and no longer the old CA's
      renewedOnly = await exchangeServer(grpc.ServerCredentials.createSsl(renewed.ca, [{ private_key: renewed.peerKey, cert_chain: renewed.peerCert }], true));
      // the caller's credentials, made before the renewal, present and trust the renewed files
      expect(await commandThrough(peers, `127.0.0.1:${renewedOnly.port}`)).toEqual({ ok: true, view: 'decided q-g-1' });
    } finally {
      await served.stop();
      await renewedOnly?.stop();
    }
  });
});
