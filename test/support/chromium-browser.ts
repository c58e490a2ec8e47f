import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { tempDir } from './temp-dir.js';

/**
 * Debian's Chromium driven by playwright-core for the admin UI tests (test/ui/). Playwright's own
 * browser downloads are never used. On this closed network Chromium hangs at start unless its
 * background networking (component updates, sync, QUIC probes) is switched off.
 */
export const CHROMIUM = '/usr/bin/chromium';

const INSTALL_SCRIPT = path.resolve(import.meta.dirname, '../../scripts/chromium-install.sh');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Runs scripts/chromium-install.sh (idempotent); fails with what to do when Chromium is missing. */
export function installChromium(): void {
  try {
    execFileSync('bash', [INSTALL_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 });
  } catch (err) {
    throw new Error(`Chromium is needed for the admin UI tests and ${INSTALL_SCRIPT} could not install it (${(err as Error).message}). ` + `Install Debian's chromium package (apt-get install chromium) so that ${CHROMIUM} exists, then run the tests again.`, { cause: err });
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing after ${INSTALL_SCRIPT}: install Debian's chromium package.`);
}

export interface ChromiumSession {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh headless Chromium with its own throw-away profile directory (en-GB, Asia/Tokyo). */
export async function launchChromium(): Promise<ChromiumSession> {
  const profile = tempDir('dtx-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    timeout: 60_000,
    viewport: { width: 1400, height: 900 },
    timezoneId: 'Asia/Tokyo',
    locale: 'en-GB',
  });
  context.setDefaultTimeout(20_000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
