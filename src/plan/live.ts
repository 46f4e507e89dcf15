// Reads what a running gitmesh serves (`GET URL/api/v1/snapshot`, docs/admin-api.md) as a plan side.
import { GitmeshError } from '../core/errors.js';
import { redactUrl } from '../source/index.js';
import type { SnapshotJson } from '../reconcile/admin.js';
import { decodedResources, type PlanProxy, type PlanSide } from './plan.js';

/** The live snapshot could not be read: unreachable, not 200, not the documented JSON. The caller stops (exit 2). */
export class LiveSnapshotError extends GitmeshError {
  constructor(message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('LiveSnapshot', message, data, options);
  }
}

const SNAPSHOT_PATH = '/api/v1/snapshot';

/**
 * The snapshot URL of an admin API base (`http://host:5680`, with or without a trailing `/`, or
 * already ending in /api/v1/snapshot), and the URL to show (credentials removed). Throws
 * LiveSnapshotError when `base` is not an http(s) URL.
 */
export function snapshotUrl(base: string): { url: string; shown: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw new LiveSnapshotError(`--live ${JSON.stringify(base)} is not a URL; write the admin API's base, e.g. http://127.0.0.1:5680`, { url: base });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new LiveSnapshotError(`--live must be an http(s) URL, not ${parsed.protocol}`, { url: redactUrl(base) });
  }
  // fetch refuses credentials in a URL: they travel as Basic auth (for a proxy in front of the admin port).
  const authorization =
    parsed.username || parsed.password ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}` : undefined;
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  const path = parsed.pathname.replace(/\/+$/, '');
  const shown = `${parsed.origin}${path.endsWith(SNAPSHOT_PATH) ? path.slice(0, -SNAPSHOT_PATH.length) : path}`;
  parsed.pathname = path.endsWith(SNAPSHOT_PATH) ? path : `${path}${SNAPSHOT_PATH}`;
  return { url: parsed.toString(), shown, ...(authorization && { authorization }) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the shape of `/api/v1/snapshot`; returns the problem, or undefined when it has the documented shape. */
export function checkLiveSnapshot(json: unknown): string | undefined {
  if (!isRecord(json)) return 'the answer is not a JSON object';
  if (json.commit !== null && typeof json.commit !== 'string') return '"commit" is neither a string nor null';
  if (!isRecord(json.proxies)) return '"proxies" is not an object';
  for (const [id, proxy] of Object.entries(json.proxies)) {
    if (!isRecord(proxy)) return `proxies["${id}"] is not an object`;
    if (proxy.flavour !== null && proxy.flavour !== undefined && typeof proxy.flavour !== 'string') return `proxies["${id}"].flavour is not a string`;
    if (!isRecord(proxy.versions) || !Object.values(proxy.versions).every((v) => typeof v === 'string')) return `proxies["${id}"].versions is not an object of strings`;
    if (!isRecord(proxy.resources) || !Object.values(proxy.resources).every(Array.isArray)) return `proxies["${id}"].resources is not an object of lists`;
  }
  return undefined;
}

/**
 * GETs `/api/v1/snapshot` from the admin API at `base` and checks its shape. Throws
 * LiveSnapshotError when the server cannot be reached within `timeoutMs` (default 30 s), does
 * not answer 200, or answers something else than the documented JSON. `fetch` is injected for
 * tests (default the global one).
 */
export async function fetchLiveSnapshot(base: string, options: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<SnapshotJson> {
  const { url, shown, authorization } = snapshotUrl(base);
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { accept: 'application/json', ...(authorization && { authorization }) },
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const reason = (error as { cause?: { code?: string; message?: string } }).cause?.code ?? (error as Error).message;
    throw new LiveSnapshotError(`cannot read ${shown}${SNAPSHOT_PATH}: ${reason}`, { url: shown }, { cause: error });
  }
  const text = await response.text();
  if (response.status !== 200) {
    throw new LiveSnapshotError(`${shown}${SNAPSHOT_PATH} answered ${response.status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`, { url: shown, status: response.status });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LiveSnapshotError(`${shown}${SNAPSHOT_PATH} did not answer JSON; is it the admin API of gitmesh serve (--http-port)?`, { url: shown });
  }
  const problem = checkLiveSnapshot(json);
  if (problem) throw new LiveSnapshotError(`${shown}${SNAPSHOT_PATH} is not a gitmesh snapshot: ${problem}`, { url: shown });
  return json as SnapshotJson;
}

/** A live snapshot as a plan side: its proxies as served, and no mesh resources (the caller may add them from the live commit). */
export function liveSide(json: SnapshotJson): PlanSide {
  const proxies = new Map<string, PlanProxy>();
  for (const [id, proxy] of Object.entries(json.proxies)) {
    proxies.set(id, { flavour: proxy.flavour ?? null, versions: proxy.versions, resources: decodedResources(proxy.resources) });
  }
  return { commit: json.commit, resources: null, proxies };
}
