import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TLS_EXPIRY_WARNING_MS, TlsReloader } from '../../../src/tls/tls-reloader.js';
import { makeTestCerts, type TestCerts } from '../../support/test-certs.js';
import { tempDir } from '../../support/temp-dir.js';

const DAY = 86_400_000;
const INTERVAL_MS = 1_000;

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});

const open: TlsReloader[] = [];
afterEach(() => {
  for (const r of open.splice(0)) r.close();
  vi.useRealTimers();
});

interface Line { readonly level: number; readonly msg: string; readonly setting?: string; readonly why?: string; readonly fingerprint256?: string }

const expiryOf = (pem: Buffer): number => Date.parse(new X509Certificate(pem).validTo);

/** `Tls` with a client CA, on files in a temp dir, logging to `lines`, its expiry judged by `clock.t`. */
function served(clock: { t: number }) {
  const dir = tempDir('dtx-tls-warnings-');
  const file = (name: string): string => path.join(dir, name);
  const write = (name: 'tls.crt' | 'tls.key' | 'ca.crt', pem: Buffer | string): void => writeFileSync(file(name), pem);
  write('tls.crt', certs.serverCert);
  write('tls.key', certs.serverKey);
  write('ca.crt', certs.ca);
  const lines: Line[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as Line), done()) });
  const files = { CaFile: file('ca.crt'), CertFile: file('tls.crt'), KeyFile: file('tls.key') };
  const reloader = new TlsReloader('Tls', files, true, pino({ level: 'info' }, sink), { caName: 'ClientCaFile', intervalMs: INTERVAL_MS, now: () => clock.t });
  open.push(reloader);
  const warnings = (): Line[] => lines.filter((l) => l.level === 40);
  return { reloader, lines, warnings, write, file };
}

const EXPIRY_WARNING = 'the TLS certificate expires within 14 days: renew Tls.CertFile (dtx uses the new one without a restart)';

describe('TlsReloader: the expiry warning, by its clock', () => {
  /** the timer's look, run once: its interval is faked, the clock is the test's */
  const look = (): void => {
    vi.advanceTimersByTime(INTERVAL_MS);
  };

  it('a certificate expiring within 14 days is warned about at start, and by the look again only once 24 h have passed', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = { t: expiryOf(certs.serverCert) - 13 * DAY };
    const { warnings } = served(clock);
    const said = (): Array<[string | undefined, string | undefined, string]> => warnings().map((l) => [l.setting, l.why, l.msg]);
    expect(said()).toEqual([['Tls', 'start', EXPIRY_WARNING]]);
    clock.t += DAY - 1;
    look();
    expect(said()).toHaveLength(1);
    clock.t += 1;
    look();
    expect(said()).toEqual([['Tls', 'start', EXPIRY_WARNING], ['Tls', 'still', EXPIRY_WARNING]]);
    look(); // the same instant: warned already
    clock.t += DAY - 1;
    look();
    expect(said()).toHaveLength(2);
  });

  it('a certificate further than 14 days from its expiry is not warned about, until the clock enters them', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = { t: expiryOf(certs.serverCert) - TLS_EXPIRY_WARNING_MS };
    const { warnings } = served(clock);
    look();
    expect(warnings()).toEqual([]);
    clock.t += 1;
    look();
    expect(warnings().map((l) => [l.why, l.msg])).toEqual([['still', EXPIRY_WARNING]]);
  });
});

describe('TlsReloader: new files that cannot be used', () => {
  const cases: Array<[string, (s: ReturnType<typeof served>) => void, RegExp]> = [
    ['a key that does not match the certificate', (s) => s.write('tls.key', certs.peerKey), /^Invalid config Tls\.CertFile=".+": with Tls\.KeyFile=".+": .*key values mismatch/],
    ['a key file gone', (s) => rmSync(s.file('tls.key')), /^Invalid config Tls\.KeyFile=".+": cannot read it \(ENOENT/],
    ['a certificate half written', (s) => s.write('tls.crt', certs.peerCert.subarray(0, certs.peerCert.length >> 1)), /^Invalid config Tls\.CertFile=".+": with Tls\.KeyFile=/],
    ['a CA file of garbage', (s) => s.write('ca.crt', 'not a certificate\n'), /^Invalid config Tls\.ClientCaFile=".+": no PEM certificate/],
    // read with blocking I/O, a FIFO nothing writes would hang the thread: refused without reading
    ['a key file swapped for a FIFO', (s) => (rmSync(s.file('tls.key')), execFileSync('mkfifo', [s.file('tls.key')])), /^Invalid config Tls\.KeyFile=".+": it is not a regular file;/],
    ['a CA file past 1 MiB', (s) => s.write('ca.crt', Buffer.concat([certs.ca, Buffer.alloc(1024 * 1024)])), /^Invalid config Tls\.ClientCaFile=".+": it holds \d+ bytes: this setting's file has at most 1048576;/],
  ];

  it.each(cases)('%s: reload() is false, the files in use stay, the warning names the setting; a good renewal is used', (_name, breakFiles, why) => {
    const clock = { t: expiryOf(certs.serverCert) - 30 * DAY }; // no expiry warning: the only ones are the refusals
    const s = served(clock);
    const { reloader, warnings } = s;
    const before = reloader.tls;
    const expiresAt = reloader.expiresAt;
    expect(before.cert!.equals(certs.serverCert)).toBe(true);
    breakFiles(s);
    expect(reloader.reload('signal')).toBe(false);
    expect(reloader.tls).toBe(before);
    expect([reloader.tls.cert!.equals(certs.serverCert), reloader.tls.key!.equals(certs.serverKey), reloader.tls.ca!.equals(certs.ca)]).toEqual([true, true, true]);
    expect(reloader.expiresAt).toBe(expiresAt);
    expect(warnings().map((l) => l.setting)).toEqual(['Tls']);
    const msg = warnings()[0]!.msg;
    expect(msg.startsWith('TLS files not reloaded: ')).toBe(true);
    expect(msg.slice('TLS files not reloaded: '.length)).toMatch(why);
    expect(msg.endsWith('the files read before stay in use until they pass')).toBe(true);

    for (const name of ['ca.crt', 'tls.crt', 'tls.key'] as const) rmSync(s.file(name), { force: true }); // a FIFO is not written through
    s.write('ca.crt', certs.ca);
    s.write('tls.crt', certs.peerCert);
    s.write('tls.key', certs.peerKey);
    expect(reloader.reload('signal')).toBe(true);
    expect([reloader.tls.cert!.equals(certs.peerCert), reloader.tls.key!.equals(certs.peerKey)]).toEqual([true, true]);
    expect(reloader.expiresAt).toBe(expiryOf(certs.peerCert));
    const reloaded = s.lines.filter((l) => l.msg === 'TLS certificate reloaded');
    expect(reloaded.map((l) => [l.setting, l.why, l.fingerprint256])).toEqual([['Tls', 'signal', new X509Certificate(certs.peerCert).fingerprint256]]);
  });
});

describe('TlsReloader: expired certificates', () => {
  it('one in use at start is an error, not the 14-day warning', () => {
    const clock = { t: expiryOf(certs.serverCert) };
    const { lines } = served(clock);
    expect(lines.filter((l) => l.level >= 40).map((l) => [l.level, l.setting, l.msg])).toEqual([[50, 'Tls', 'the TLS certificate has expired: peers refuse it; renew Tls.CertFile (dtx uses the new one without a restart)']]);
  });

  it('an expired renewal is refused while the certificate in use is valid, warned about once by the timer; once that one has expired too, it is taken', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = { t: expiryOf(certs.shortCert) };
    expect(clock.t).toBeLessThan(expiryOf(certs.serverCert));
    const s = served(clock);
    s.write('tls.crt', certs.shortCert);
    s.write('tls.key', certs.shortKey);
    vi.advanceTimersByTime(INTERVAL_MS); // the timer's look finds them
    vi.advanceTimersByTime(3 * INTERVAL_MS); // and looks again: nothing new to say
    expect(s.reloader.tls.cert!.equals(certs.serverCert)).toBe(true);
    const validTo = new X509Certificate(certs.shortCert).validTo;
    const refusal = `TLS files not reloaded: the new Tls.CertFile expired at ${validTo}; the ones in use stay`;
    expect(s.warnings().map((l) => [l.setting, l.why, l.msg])).toEqual([['Tls', 'start', EXPIRY_WARNING], ['Tls', 'changed', refusal]]);
    expect(s.reloader.reload('signal')).toBe(false); // asked for: said again
    expect(s.warnings().map((l) => [l.why, l.msg]).at(-1)).toEqual(['signal', refusal]);
    clock.t = expiryOf(certs.serverCert); // nothing better left: the files are used as they are
    expect(s.reloader.reload('signal')).toBe(true);
    expect(s.reloader.tls.cert!.equals(certs.shortCert)).toBe(true);
    expect(s.lines.at(-1)).toMatchObject({ level: 50, msg: 'the TLS certificate has expired: peers refuse it; renew Tls.CertFile (dtx uses the new one without a restart)' });
  });
});
