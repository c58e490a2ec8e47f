import type { TransContext } from './trans-context.js';

/**
 * Saga ordering rules (spec §7.3.3) over the stored rows [c1,a1,c2,a2,...]:
 * row 2k is the compensation of step k, row 2k+1 its action. Pure functions only.
 */

export interface SagaExt {
  readonly concurrent: boolean;
  /** step k -> steps that must succeed before k starts (0-based, from custom_data.orders). */
  readonly orders: Readonly<Record<string, readonly number[]>>;
}

export function parseSagaExt(customData: string): SagaExt {
  if (customData === '') return { concurrent: false, orders: {} };
  const parsed: unknown = JSON.parse(customData);
  const obj = (parsed ?? {}) as { concurrent?: unknown; orders?: unknown };
  const orders: Record<string, number[]> = {};
  if (obj.orders !== null && typeof obj.orders === 'object') {
    for (const [k, v] of Object.entries(obj.orders as Record<string, unknown>)) {
      if (Array.isArray(v)) orders[k] = v.filter((n): n is number => Number.isInteger(n));
    }
  }
  return { concurrent: obj.concurrent === true, orders };
}

export function sagaExt(ctx: TransContext): SagaExt {
  return ctx.ext as unknown as SagaExt;
}

export const actionIndex = (k: number): number => 2 * k + 1;
export const compensateIndex = (k: number): number => 2 * k;
export const stepCount = (ctx: TransContext): number => ctx.branches.length / 2;

function actionRow(ctx: TransContext, k: number) {
  const row = ctx.branches[actionIndex(k)];
  if (row === undefined) throw new RangeError(`saga step ${k} has no action row`);
  return row;
}
function compensateRow(ctx: TransContext, k: number) {
  const row = ctx.branches[compensateIndex(k)];
  if (row === undefined) throw new RangeError(`saga step ${k} has no compensate row`);
  return row;
}

export function canRunAction(ctx: TransContext, k: number): boolean {
  const ext = sagaExt(ctx);
  if (!ext.concurrent && k > 0 && actionRow(ctx, k - 1).status !== 'succeed') return false;
  return (ext.orders[String(k)] ?? []).every((j) => j >= 0 && j < stepCount(ctx) && actionRow(ctx, j).status === 'succeed');
}

/** Actions that can be called now: prepared, not in flight, not waiting for the next pass. */
export function startableActions(ctx: TransContext): number[] {
  const out: number[] = [];
  for (let k = 0; k < stepCount(ctx); k++) {
    const a = actionRow(ctx, k);
    if (a.status === 'prepared' && !a.inflight && !a.blocked && canRunAction(ctx, k)) out.push(k);
  }
  return out;
}

export function allActionsSucceeded(ctx: TransContext): boolean {
  for (let k = 0; k < stepCount(ctx); k++) if (actionRow(ctx, k).status !== 'succeed') return false;
  return true;
}

export function anyActionFailed(ctx: TransContext): boolean {
  for (let k = 0; k < stepCount(ctx); k++) if (actionRow(ctx, k).status === 'failed') return true;
  return false;
}

/** Step k needs no (more) compensation: compensated, or its action certainly never ran. */
export function rolledBack(ctx: TransContext, k: number): boolean {
  const a = actionRow(ctx, k);
  if (compensateRow(ctx, k).status === 'succeed') return true;
  return a.status === 'prepared' && !a.inflight && a.mayHaveExecuted !== true;
}

export function canRunCompensate(ctx: TransContext, k: number): boolean {
  const ext = sagaExt(ctx);
  const n = stepCount(ctx);
  const c = compensateRow(ctx, k);
  if (rolledBack(ctx, k) || actionRow(ctx, k).inflight || c.inflight || c.blocked) return false;
  if (!ext.concurrent && k < n - 1 && !rolledBack(ctx, k + 1)) return false;
  for (let j = 0; j < n; j++) {
    if ((ext.orders[String(j)] ?? []).includes(k) && !rolledBack(ctx, j)) return false;
  }
  return true;
}

export function startableCompensations(ctx: TransContext): number[] {
  const out: number[] = [];
  for (let k = 0; k < stepCount(ctx); k++) if (canRunCompensate(ctx, k)) out.push(k);
  return out;
}

export function allRolledBack(ctx: TransContext): boolean {
  for (let k = 0; k < stepCount(ctx); k++) if (!rolledBack(ctx, k)) return false;
  return true;
}

/** Entering rollback: runnable never-reported actions may have executed (spec §7.3.3 step 5). */
export function markMayHaveExecuted(ctx: TransContext): TransContext {
  let branches: TransContext['branches'][number][] | undefined;
  for (let k = 0; k < stepCount(ctx); k++) {
    const a = actionRow(ctx, k);
    if (a.status === 'prepared' && !a.inflight && a.mayHaveExecuted !== true && canRunAction(ctx, k)) {
      branches ??= ctx.branches.slice();
      branches[actionIndex(k)] = { ...a, mayHaveExecuted: true };
    }
  }
  return branches === undefined ? ctx : { ...ctx, branches };
}
