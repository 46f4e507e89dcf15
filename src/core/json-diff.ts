// A structural diff of two JSON values: the leaves that were added, removed or changed, by dotted path (plan, history). Pure.

/** What happened at one path. */
export type Change = 'added' | 'changed' | 'removed';

/**
 * One difference between two JSON values. `before` is absent for `added`, `after` for
 * `removed`; both are JSON values (a whole subtree when an object or list appears or goes).
 */
export interface FieldChange {
  /** Dotted path from the compared root: `spec.to[0].default.connectionTimeout`, `tags["kuma.io/service"]`; '' for the root itself. */
  readonly path: string;
  readonly change: Change;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** A key written bare in a path; anything else (dots, slashes, dashes, `@type`) is written `["…"]`, as formatPath in core/diagnostics.ts writes it. */
const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `path` extended by an object key or a list index, in the notation FieldChange.path documents (that of diagnostics' formatPath). */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!BARE_KEY.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The keys of a JSON object that hold a value (undefined counts as absent, as in JSON), sorted. */
function presentKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value)
    .filter((key) => value[key] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The differences from `before` to `after`, two JSON values (undefined stands for "absent").
 * Objects are compared key by key (keys in code-unit order, so the result never depends on the
 * order a value was built in); lists are compared by position, items past the shorter list
 * being added or removed whole; a value whose type changes (object, list, scalar) is one
 * `changed` entry. Deterministic; never mutates its inputs; equal values give [].
 */
export function diffJson(before: unknown, after: unknown, path = ''): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before, after, path, out);
  return out;
}

function walk(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) {
    out.push({ path, change: 'added', after });
    return;
  }
  if (after === undefined) {
    out.push({ path, change: 'removed', before });
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) walk(i < before.length ? before[i] : undefined, i < after.length ? after[i] : undefined, joinPath(path, i), out);
    return;
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...presentKeys(before), ...presentKeys(after)])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) walk(before[key], after[key], joinPath(path, key), out);
    return;
  }
  if (before !== after) out.push({ path, change: 'changed', before, after });
}
