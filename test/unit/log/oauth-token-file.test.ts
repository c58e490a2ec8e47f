import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OAuthTokenFailure } from '../../../src/errors.js';
import { TokenFileSource } from '../../../src/log/kafka/oauth-token-file.js';
import { tempDir } from '../../support/temp-dir.js';

/** Store.KafkaSasl.TokenFile: tokens a writer outside dtx keeps fresh (a projected service-account token). */
const dir = tempDir('dtx-token-file-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An unsigned JWT-shaped token expiring at `exp` (seconds): only its `exp` is read here. */
const jwt = (sub: string, exp: number) => ['{"alg":"none"}', JSON.stringify({ sub, exp })].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.c2ln';

/** Replaces `file` as the kubelet does: a new file renamed over it. */
function replace(file: string, content: string): void {
  writeFileSync(`${file}.new`, content);
  renameSync(`${file}.new`, file);
}

describe('TokenFileSource', () => {
  it('hands kafkajs the token in the file, with the extensions, and the rewritten one after a change', async () => {
    const file = join(dir, 'token');
    const now = { t: 1_000_000_000_000 };
    writeFileSync(file, `${jwt('a', now.t / 1000 + 3600)}\n`);
    const source = new TokenFileSource(file, { logicalCluster: 'lkc-1' }, () => undefined, () => now.t);
    expect(await source.bearer()).toEqual({ value: jwt('a', now.t / 1000 + 3600), extensions: { logicalCluster: 'lkc-1' } });
    replace(file, jwt('b', now.t / 1000 + 7200));
    expect((await source.bearer()).value).toBe(jwt('b', now.t / 1000 + 7200));
  });

  it('a token about to expire fails the authentication retriably, naming the file; a renewed one passes', async () => {
    const file = join(dir, 'stale');
    const now = { t: 1_000_000_000_000 };
    writeFileSync(file, jwt('a', now.t / 1000 + 60));
    const source = new TokenFileSource(file, {}, () => undefined, () => now.t);
    expect(await source.bearer()).toEqual({ value: jwt('a', now.t / 1000 + 60) });
    now.t += 50_000; // 10 s left: under what a session needs
    const failure = (await source.bearer().catch((e: unknown) => e)) as OAuthTokenFailure;
    expect(failure).toBeInstanceOf(OAuthTokenFailure);
    expect(failure.retriable).toBe(true);
    expect(failure.message).toBe(`the OAuth token in ${file} (Store.KafkaSasl.TokenFile) expires in 10 s (${new Date(now.t + 10_000).toISOString()}): whatever writes the file has not renewed it`);
    replace(file, jwt('a2', now.t / 1000 + 3600));
    expect((await source.bearer()).value).toBe(jwt('a2', now.t / 1000 + 3600));
  });

  it('a rewritten file that does not hold a token keeps the previous one, warned once', async () => {
    const file = join(dir, 'opaque');
    writeFileSync(file, 'opaque-token-without-expiry');
    const warnings: string[] = [];
    const source = new TokenFileSource(file, {}, (m) => warnings.push(m));
    replace(file, 'not a token\u0001');
    expect([(await source.bearer()).value, (await source.bearer()).value]).toEqual(['opaque-token-without-expiry', 'opaque-token-without-expiry']);
    expect(warnings).toEqual([expect.stringMatching(/^Invalid config Store.KafkaSasl.TokenFile=.*: it must hold one token .*; the files read before stay in use until they pass$/)]);
  });
});
