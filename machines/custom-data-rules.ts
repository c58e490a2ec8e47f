/**
 * Validation of the built-in types' `custom_data` (spec §2.5), run at creation: a value the machine
 * could not schedule or order (a delay that is not a date, an `orders` cycle that never lets a step
 * start) is refused with a message naming the field instead of being accepted and stuck forever.
 */

/** Largest msg `custom_data.delay`, seconds (one year). */
export const MSG_DELAY_MAX_SECONDS = 365 * 86_400;

function parseObject(customData: string): Record<string, unknown> | string {
  try {
    const v: unknown = JSON.parse(customData);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'custom_data must be a JSON object';
    return v as Record<string, unknown>;
  } catch {
    return 'custom_data is not valid JSON';
  }
}

/** msg: `{"delay": seconds}`, key matched case-insensitively as Go does. */
export function msgCustomDataProblem(customData: string): string | undefined {
  if (customData === '') return undefined;
  const obj = parseObject(customData);
  if (typeof obj === 'string') return obj;
  const key = Object.keys(obj).find((k) => k.toLowerCase() === 'delay');
  if (key === undefined) return undefined;
  const d = obj[key];
  if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MSG_DELAY_MAX_SECONDS) {
    return `custom_data.delay must be an integer 0..${MSG_DELAY_MAX_SECONDS} (seconds)`;
  }
  return undefined;
}

/** Longest workflow name (custom_data.name, the op of the resume callback). */
export const WORKFLOW_NAME_MAX_CHARS = 128;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * workflow: `{"name": <workflow name>, "data": <standard base64 or null>}` (spec §2.5), what the SDK
 * writes; keys matched case-insensitively as Go does. The name becomes the callback's op (gRPC
 * metadata `dtm-op`: printable ASCII for a gRPC workflow).
 */
export function workflowCustomDataProblem(customData: string, protocol: string): string | undefined {
  if (customData === '') return 'custom_data: a workflow needs {"name": "<workflow name>", "data": "<base64 input>"}';
  const obj = parseObject(customData);
  if (typeof obj === 'string') return obj;
  const key = (k: string) => Object.keys(obj).find((x) => x.toLowerCase() === k);
  const name = obj[key('name') ?? 'name'];
  const text = protocol === 'grpc' ? /^[\x20-\x7e]+$/ : /^[^\p{Cc}]+$/u;
  if (typeof name !== 'string' || name.length > WORKFLOW_NAME_MAX_CHARS || !text.test(name)) {
    return `custom_data.name must be the workflow's name: 1-${WORKFLOW_NAME_MAX_CHARS} ${protocol === 'grpc' ? 'printable ASCII characters' : 'characters without control characters'}`;
  }
  const data = obj[key('data') ?? 'data'];
  if (data !== undefined && data !== null && (typeof data !== 'string' || !BASE64.test(data))) return 'custom_data.data must be standard base64 (with padding) or null';
  return undefined;
}

/** saga: `{"concurrent": bool, "orders": {"k": [j, ...]}}` with step indexes in range and no cycle. */
export function sagaCustomDataProblem(customData: string, steps: number): string | undefined {
  if (customData === '') return undefined;
  const obj = parseObject(customData);
  if (typeof obj === 'string') return obj;
  if (obj.concurrent !== undefined && obj.concurrent !== null && typeof obj.concurrent !== 'boolean') return 'custom_data.concurrent must be a boolean';
  const orders = obj.orders;
  if (orders === undefined || orders === null) return undefined;
  if (typeof orders !== 'object' || Array.isArray(orders)) return 'custom_data.orders must be an object of step index -> [step indexes]';
  const deps = new Map<number, number[]>();
  for (const [k, list] of Object.entries(orders)) {
    // canonical only: the machine looks steps up by String(k), so '01' would be a second, unread key
    const n = /^(0|[1-9]\d{0,5})$/.test(k) ? Number(k) : NaN;
    if (!Number.isInteger(n) || n >= steps) return `custom_data.orders key '${k}' is not a step index`;
    if (!Array.isArray(list) || list.length > steps || list.some((d) => !Number.isInteger(d) || d < 0 || d >= steps || d === n)) {
      return `custom_data.orders['${k}'] must list other step indexes (0..${steps - 1})`;
    }
    deps.set(n, list as number[]);
  }
  // a sequential saga also runs step k only after step k-1 (saga-plan.ts canRunAction)
  if (obj.concurrent !== true) for (let k = 1; k < steps; k += 1) deps.set(k, [...(deps.get(k) ?? []), k - 1]);
  const cycle = findCycle(deps);
  return cycle === undefined ? undefined : `custom_data.orders has a cycle (${cycle.join(' -> ')}): no step of it could ever start`;
}

/** A dependency cycle as a path of step indexes (first = last), or undefined. Iterative DFS. */
function findCycle(deps: ReadonlyMap<number, readonly number[]>): number[] | undefined {
  const state = new Map<number, 1 | 2>(); // 1 = on the current path, 2 = done
  for (const start of deps.keys()) {
    if (state.has(start)) continue;
    const path: number[] = [start];
    const next: number[] = [0];
    state.set(start, 1);
    while (path.length > 0) {
      const node = path[path.length - 1]!;
      const list = deps.get(node) ?? [];
      const i = next[next.length - 1]!;
      if (i >= list.length) {
        state.set(node, 2);
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = i + 1;
      const d = list[i]!;
      if (state.get(d) === 1) return [...path.slice(path.indexOf(d)), d];
      if (!state.has(d)) {
        state.set(d, 1);
        path.push(d);
        next.push(0);
      }
    }
  }
  return undefined;
}
