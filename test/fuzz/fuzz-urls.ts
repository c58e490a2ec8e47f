import fc from 'fast-check';
import { ALL_PATHS, SETTLING_PATHS } from './fuzz-branch-service.js';
import { nastyChar, nastyString } from './fuzz-values.js';

/** Ports the URL generator aims at: the fuzz branch service and dtx's own API. */
export interface UrlTargets {
  readonly branchPort: number;
  readonly dtxPort: number;
}

/** A callable URL of the fuzz branch service. */
export function branchUrl(t: UrlTargets, paths: readonly string[] = ALL_PATHS): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...paths), fc.constantFrom('', '', '', '?k=v', '?gid=forged&op=x', '?', '#frag', '?a=1#f'))
    .map(([p, tail]) => `http://127.0.0.1:${t.branchPort}${p}${tail}`);
}

/** A URL of the branch service whose transactions settle by themselves. */
export function settlingUrl(t: UrlTargets): fc.Arbitrary<string> {
  return branchUrl(t, SETTLING_PATHS);
}

/** Hosts of every shape: loopback spellings, IPv6, metadata, unspecified, names, junk. */
const HOSTS = [
  '127.0.0.1', 'localhost', 'LOCALHOST', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '127.1', '2130706433', '0x7f000001', '0177.0.0.1',
  '0.0.0.0', '0', '[::]', '127.0.0.2', '169.254.169.254', '[fe80::1]', '[fd00:ec2::254]', '100.100.100.200', 'svc.invalid', 'xn--exmple-cua.invalid',
  'exämple.invalid', 'a..invalid', '-bad-.invalid', '[::1', '[zz::1]', 'user@127.0.0.1', 'u:p@127.0.0.1', ':@127.0.0.1', '%31%32%37.0.0.1', '',
] as const;
const SCHEMES = ['http://', 'https://', 'HTTP://', 'hTtPs://', 'http:/', 'http:', 'http:\\\\', 'ftp://', 'ws://', 'file://', 'gopher://', 'dns:///', 'topic://', 'javascript://', ''] as const;

/** URLs assembled from scheme x host x port x path x tail, pointing anywhere. */
function assembledUrl(t: UrlTargets): fc.Arbitrary<string> {
  const port = fc.constantFrom('', `:${t.branchPort}`, `:${t.dtxPort}`, ':0', ':1', ':65535', ':65536', ':99999', ':-1', ':abc', ':');
  const path = fc.oneof(fc.constantFrom(...ALL_PATHS), fc.constantFrom('', '/', '/api/ping', '/api/dtmsvr/submit', '/a/../../etc', '//x'), nastyString.map((s) => `/${s}`));
  const tail = fc.constantFrom('', '?x=1', '#f', '?x=%zz', '?%00', '#\u0000');
  return fc.tuple(fc.constantFrom(...SCHEMES), fc.constantFrom(...HOSTS), port, path, tail).map((parts) => parts.join(''));
}

/** Classic dangerous and broken shapes. */
function specialUrl(t: UrlTargets): fc.Arbitrary<string> {
  const b = `127.0.0.1:${t.branchPort}`;
  return fc.constantFrom(
    'file:///etc/passwd', 'file:/etc/passwd', 'javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/plain,hi', 'gopher://127.0.0.1:70/_x',
    'mailto:a@b.invalid', 'about:blank', '/relative/path', 'relative/path', './x', '../x', '//127.0.0.1/x', '?q', '#f', 'http://', 'http:///x',
    `http://user:pass@${b}/ok`, `http://user@${b}/ok`, `http://:pass@${b}/ok`, `${b}/ok`, `localhost:${t.branchPort}/ok`, `${b}/pkg.Svc/Method`,
    'svc.invalid:50051/pkg.Svc/Method', 'dns:///svc.invalid:50051/pkg.Svc/Method', 'discov://x/y', `http://${b}/ok\r\nX-Injected: 1`, ` http://${b}/ok`,
    `http://${b}/ok `, `http://${b}/o k`, `http://${b}/\ud800`, `http://${b}/%ED%A0%80`, `http://${b}/${'a'.repeat(2100)}`, `http://${b}/?method=m`,
    `http://[::ffff:127.0.0.1]:${t.dtxPort}/api/ping`, `http://0.0.0.0:${t.dtxPort}/api/ping`, `http://127.0.0.9:${t.dtxPort}/api/ping`,
    `http://localhost:${t.dtxPort}/api/dtmsvr/submit`, 'http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/latest',
  );
}

/** A branch URL of every shape, weighted towards the ones that reach the branch service. */
export function anyUrl(t: UrlTargets): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: branchUrl(t) },
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: specialUrl(t) },
    { weight: 3, arbitrary: assembledUrl(t) },
    { weight: 1, arbitrary: fc.tuple(branchUrl(t), nastyChar, fc.nat()).map(([u, c, at]) => { const i = at % (u.length + 1); return u.slice(0, i) + c + u.slice(i); }) },
    { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }).map((u) => u.replace(/^(https?:\/\/)([^/?#]*)/, '$1$2.invalid')) },
  );
}

const LOOPBACK = /^(127\.|0\.0\.0\.0$|localhost$|::1$|::$|::ffff:(127\.|7f))/i;

/** Whether a host and port (as WHATWG URL normalises them) is dtx's own API on this machine. */
function isDtx(u: URL, dtxPort: number): boolean {
  const h = u.hostname.replace(/^\[|\]$/g, '');
  return u.port === String(dtxPort) && (LOOPBACK.test(h) || h === '0');
}

/**
 * Whether `url`, accepted by dtx for a transaction of `protocol`, makes dtx call its own API: the
 * fuzz treats that as a bug. The transport is chosen as dtx does (spec §6.1): HTTP for protocol
 * http ('' too) or a URL starting with http(s)://, else gRPC to the `host:port` before the first '/'.
 */
export function pointsAtDtx(url: string, dtxPort: number, protocol: unknown = 'http'): boolean {
  const http = protocol === 'http' || protocol === '' || protocol === undefined || protocol === null || url.startsWith('http://') || url.startsWith('https://');
  let target = url;
  if (!http) {
    const rest = url.startsWith('dns:///') ? url.slice('dns:///'.length) : url;
    if (rest.includes('://')) return false; // a driver's registry resolves it
    const slash = rest.indexOf('/');
    target = `http://${slash < 0 ? rest : rest.slice(0, slash)}/`;
  }
  try {
    return isDtx(new URL(target), dtxPort);
  } catch {
    return false;
  }
}
