// Merging confs in rank order: RFC 7396 JSON merge patch, lists replaced, `append*` lists joined.

/**
 * Merges `patch` over `base` as Kuma does (KUMA.md §3.3): objects deep-merge, lists are
 * replaced whole, `null` removes a field, and lists under keys starting with `append` are
 * concatenated (MADR 017). Returns a new value; never mutates its inputs.
 */
export function mergeConf(base: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (key.startsWith('append') && Array.isArray(value) && Array.isArray(out[key])) out[key] = [...(out[key] as unknown[]), ...value];
    else out[key] = mergeConf(out[key], value);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
