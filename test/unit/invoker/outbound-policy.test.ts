import { describe, expect, it } from 'vitest';
import { OutboundPolicy } from '../../../src/invoker/outbound-policy.js';
import { parseAllowEntry } from '../../../src/invoker/allow-entry.js';

/** Invoker.Allow decisions, with DNS answers scripted (call-time checks see the new address). */
const dns = new Map<string, string[]>();
const policy = (allow: string[], own: number[] = [36789]) =>
  new OutboundPolicy({ allow, ownPorts: () => own, resolve: (h) => Promise.resolve(dns.get(h) ?? []) });

describe('allow entries', () => {
  it.each([['10.0.0.0/8', 'cidr'], ['192.168.1.5', 'cidr'], ['[::1]', 'cidr'], ['fd00::/8', 'cidr'], ['orders.internal', 'host'], ['*.svc.local:8080', 'host']])('%s', (text, kind) => {
    expect(parseAllowEntry(text).kind).toBe(kind);
  });
  it.each(['10.0.0.0/33', 'a b', 'http://x', '*.', 'x:99999'])('refuses %s', (text) => {
    expect(() => parseAllowEntry(text)).toThrow(/is not/);
  });
});

describe('OutboundPolicy', () => {
  it('without entries allows any host but metadata addresses and dtx itself', async () => {
    const p = policy([]);
    expect(await p.hostProblem('example.com', 443)).toBeUndefined();
    expect(await p.hostProblem('10.1.2.3', 8080)).toBeUndefined();
    expect(await p.hostProblem('169.254.169.254', 80)).toContain('metadata address');
    expect(await p.hostProblem('[fe80::1]', 80)).toContain('metadata address');
    expect(await p.hostProblem('100.100.100.200', 80)).toContain('metadata address');
    expect(await p.hostProblem('127.0.0.1', 36789)).toContain("dtx's own API");
    dns.set('self.test', ['127.0.0.1']);
    expect(await p.hostProblem('self.test', 36789)).toContain("dtx's own API");
    expect(await p.hostProblem('127.0.0.1', 36788)).toBeUndefined();
  });

  it('with entries allows only matching host patterns and addresses', async () => {
    const p = policy(['*.branches.test', 'orders.internal:8080', '10.0.0.0/8']);
    expect(await p.hostProblem('pay.branches.test', 80)).toBeUndefined();
    dns.set('branches.test', ['192.0.2.5']);
    expect(await p.hostProblem('branches.test', 80)).toContain('not in Invoker.Allow');
    expect(await p.hostProblem('nowhere.test', 80)).toBe('nowhere.test cannot be resolved (no address)');
    dns.set('orders.internal', ['192.0.2.7']);
    expect(await p.hostProblem('orders.internal', 8080)).toBeUndefined();
    expect(await p.hostProblem('orders.internal', 8081)).toContain('not in Invoker.Allow');
    expect(await p.hostProblem('10.9.9.9', 1)).toBeUndefined();
    dns.set('inside.test', ['10.2.3.4']);
    dns.set('outside.test', ['192.0.2.1']);
    expect(await p.hostProblem('inside.test', 80)).toBeUndefined();
    expect(await p.hostProblem('outside.test', 80)).toBe('outside.test (192.0.2.1) is not in Invoker.Allow');
  });

  it('lists metadata and dtx itself only when an entry names them', async () => {
    const p = policy(['169.254.169.254/32', 'localhost:36789']);
    expect(await p.hostProblem('169.254.169.254', 80)).toBeUndefined();
    expect(p.addressProblem('x', '169.254.0.1', 80)).toContain('metadata');
    expect(policy(['0.0.0.0/0']).addressProblem('x', '169.254.169.254', 80)).toContain('metadata');
    expect(p.addressProblem('localhost', '127.0.0.1', 36789)).toBeUndefined();
  });

  it('checks the addresses a name resolves to at call time (DNS can change)', async () => {
    const p = policy(['*.branches.test']);
    dns.set('pay.branches.test', ['192.0.2.10']);
    expect(await p.callProblem('pay.branches.test', 80)).toBeUndefined();
    dns.set('rebind.branches.test', ['169.254.169.254']);
    expect(await p.callProblem('rebind.branches.test', 80)).toContain('metadata address');
    const lookup = p.lookupFor(80);
    const answer = await new Promise<{ err: Error | null; addr: unknown }>((resolve) => lookup('rebind.branches.test', { all: true }, (err, addr) => resolve({ err, addr })));
    expect(answer.err?.message).toContain('metadata address');
    const ok = await new Promise<{ err: Error | null; addr: unknown }>((resolve) => lookup('pay.branches.test', { all: true }, (err, addr) => resolve({ err, addr })));
    expect(ok).toEqual({ err: null, addr: [{ address: '192.0.2.10', family: 4 }] });
  });
});
