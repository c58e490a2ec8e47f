import { describe, expect, it } from 'vitest';
import { DefaultDriver } from '../../../src/drivers/default-driver.js';
import { splitSchemeUrl } from '../../../src/drivers/server-method.js';
import type { ServerMethod } from '../../../src/invoker/grpc-invoker.js';
import { grpcDialTarget, splitHostPort } from '../../../src/invoker/grpc-target.js';
import { branchTargetOf } from '../../../src/invoker/outbound-check.js';
import { connectionProblem } from '../../../src/invoker/guarded-credentials.js';
import { OutboundPolicy } from '../../../src/invoker/outbound-policy.js';

/**
 * gRPC branch targets read as grpc-js reads them (a scheme it has no resolver for makes the whole
 * target a DNS name; DNS's default port is 443), so the policy checks what will be dialled.
 */
const addresses = (...targets: Array<[string, number]>) => ({ kind: 'addresses', targets: targets.map(([host, port]) => ({ host, port })) });

describe('grpcDialTarget', () => {
  it.each<[string, unknown]>([
    ['127.0.0.1:50051', addresses(['127.0.0.1', 50051])],
    ['localhost:50051', addresses(['localhost', 50051])],
    ['127.0.0.1:050051', addresses(['127.0.0.1', 50051])],
    ['branch.test', addresses(['branch.test', 443])],
    ['169.254.169.254', addresses(['169.254.169.254', 443])],
    ['[::1]:50051', addresses(['[::1]', 50051])],
    ['[::ffff:127.0.0.1]', addresses(['[::ffff:127.0.0.1]', 443])],
    ['::ffff:127.0.0.1', addresses(['::ffff:127.0.0.1', 443])],
    ['dns:///branch.test:50051', addresses(['branch.test', 50051])],
    ['dns://8.8.8.8/branch.test:50051', addresses(['branch.test', 50051])],
    ['dns:branch.test:50051', addresses(['branch.test', 50051])],
    ['direct:///10.0.0.1:80,10.0.0.2:81', addresses(['10.0.0.1', 80], ['10.0.0.2', 81])],
    ['etcd://127.0.0.1:2379/user.rpc', { kind: 'registry' }],
    ['discovery:///user', { kind: 'registry' }],
  ])('%s', (server, want) => {
    expect(grpcDialTarget(server)).toEqual(want);
  });

  it.each([
    ['ipv4:127.0.0.1:36790', /scheme ipv4: is not accepted/],
    ['ipv6:[::1]:36790', /scheme ipv6: is not accepted/],
    ['unix:/tmp/dtx.sock', /scheme unix: is not accepted/],
    ['unix:///tmp/dtx.sock', /scheme unix: is not accepted/],
    ['unix-abstract:dtx', /scheme unix-abstract: is not accepted/],
    ['127.0.0.1:99999', /is not host\[:port\]/],
    ['127.0.0.1:8x', /is not host\[:port\]/],
    ['etcd:user.rpc', /is not host\[:port\]/],
    ['[::1', /is not host\[:port\]/],
    ['dns:///', /is not host\[:port\]/],
    ['direct:///', /names no address/],
  ])('refuses %s', (server, reason) => {
    const t = grpcDialTarget(server);
    expect(t.kind).toBe('refused');
    expect(t.kind === 'refused' && t.reason).toMatch(reason);
  });

  it('splits host and port as grpc-js does', () => {
    expect(splitHostPort('a:1')).toEqual({ host: 'a', port: 1 });
    expect(splitHostPort('a:1:2')).toEqual({ host: 'a:1:2', port: 443 });
    expect(splitHostPort('[a]:1')).toBeUndefined();
    expect(splitHostPort('[::1]x')).toBeUndefined();
    expect(splitHostPort(':1')).toBeUndefined();
  });
});

describe('branchTargetOf (a gRPC branch URL at submit, split by the active driver as the invoker splits it)', () => {
  const byDefault = (u: string) => new DefaultDriver().parseServerMethod(u);
  it.each<[string, (u: string) => ServerMethod, unknown]>([
    ['127.0.0.1:50051/pkg.Svc/Method', byDefault, addresses(['127.0.0.1', 50051])],
    ['dns:///branch.test:50051/pkg.Svc/Method', byDefault, addresses(['branch.test', 50051])],
    ['169.254.169.254/pkg.Svc/Method', byDefault, addresses(['169.254.169.254', 443])],
    ['etcd://127.0.0.1:2379/user.rpc/pkg.Svc/Method', splitSchemeUrl, { kind: 'registry' }],
    ['direct:///10.0.0.1:80/pkg.Svc/Method', splitSchemeUrl, addresses(['10.0.0.1', 80])],
  ])('%s', (url, split, want) => {
    expect(branchTargetOf(url, 'grpc', split)).toEqual(want);
  });

  it.each(['ipv4:127.0.0.1:36790/dtmgimp.Dtm/Abort', 'unix:///tmp/x.sock/p.S/M', 'unix:x.sock/p.S/M'])('refuses %s', (url) => {
    expect(branchTargetOf(url, 'grpc', byDefault)?.kind).toBe('refused');
  });
});

describe('connectionProblem (each connection, on the address reached)', () => {
  const policy = new OutboundPolicy({ allow: ['branch.test', '10.0.0.0/8'], ownPorts: () => [36790], resolve: () => Promise.resolve([]) });

  it('holds the address reached against the target it was dialled for', () => {
    const named = grpcDialTarget('branch.test:50051');
    expect(connectionProblem(named, policy, '192.0.2.1', 50051)).toBeUndefined();
    expect(connectionProblem(named, policy, '169.254.169.254', 50051)).toMatch(/metadata address/);
    expect(connectionProblem(named, policy, '127.0.0.1', 36790)).toMatch(/is not an address of the target/);
    expect(connectionProblem(grpcDialTarget('other.test:50051'), policy, '192.0.2.1', 50051)).toMatch(/not in Invoker.Allow/);
    expect(connectionProblem(grpcDialTarget('other.test:50051'), policy, '10.1.1.1', 50051)).toBeUndefined();
  });

  it('a registry target: only the fixed rules (metadata, dtx itself), not the list', () => {
    const registry = grpcDialTarget('etcd://127.0.0.1:2379/user.rpc');
    expect(connectionProblem(registry, policy, '192.0.2.1', 8080)).toBeUndefined();
    expect(connectionProblem(registry, policy, '169.254.169.254', 80)).toMatch(/metadata address/);
    expect(connectionProblem(registry, policy, '127.0.0.1', 36790)).toMatch(/dtx's own API/);
  });

  it('refuses a socket without a TCP peer, and a refused target', () => {
    expect(connectionProblem(grpcDialTarget('branch.test:1'), policy, undefined, undefined)).toBe('dtx calls gRPC branches over TCP only');
    expect(connectionProblem(grpcDialTarget('ipv4:10.0.0.1:1'), policy, '10.0.0.1', 1)).toMatch(/scheme ipv4:/);
  });
});
