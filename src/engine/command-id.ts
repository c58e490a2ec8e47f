import { randomBytes } from 'node:crypto';

/**
 * Ids of commands that have no natural identity (client calls, timer fires). They must never
 * repeat across restarts: applied command ids are restored from the log on recovery, so a reused
 * id would make a new command look like a duplicate delivery.
 */
const BOOT = randomBytes(6).toString('base64url');
let counter = 0;

export function newCommandId(kind: string): string {
  counter += 1;
  return `${kind}:${BOOT}:${counter.toString(36)}`;
}
