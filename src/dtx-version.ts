import { readFileSync } from 'node:fs';

/** The package version (package.json), read once; `dtx -v` prints `dtm version: v<it>-dtx`. */
export const DTX_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
