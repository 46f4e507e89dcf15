// The admin HTTP API of `gitmesh serve` (DESIGN.md §5): health, readiness, Prometheus metrics, the live state as JSON, and the webhook.
//
// Routes (GET and HEAD unless said; another method on a known path answers 405 with Allow):
//   /healthz         200 `ok` while the process runs
//   /readyz          200 once model.ready() (a snapshot is served), else 503
//   /metrics         Prometheus text exposition
//   /api/v1/status   StatusJson
//   /api/v1/proxies  ProxyJson[]
//   /api/v1/snapshot SnapshotJson
//   /webhook         POST; webhook.ts (404 when no secret is configured)
// Anything else answers 404. Errors answer `{"error": {"code", "message"}}`; a handler that
// throws answers 500 and the server goes on. Each JSON body is serialized once per request.
// docs/admin-api.md documents the JSON with examples.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { noopLogger, redactUrl, type Logger } from '../core/log.js';
import type { ProxyStatus } from '../xds/ads/server.js';
import type { StreamStatus, TypeStatus } from '../xds/ads/session.js';
import type { SnapshotRecord } from '../xds/cache.js';
import { snapshotJson, type Snapshot } from '../xds/snapshot.js';
import { PUSH_ORDER, RESOURCE_KEYS, type XdsTypeName } from '../xds/type-urls.js';
import type { Metrics } from './metrics.js';
import type { StatusJson } from './reconciler.js';
import { errorBody, webhookHandler, type WebhookOptions } from './webhook.js';

/** The serving state (DESIGN.md §5): `starting` until the first snapshot is served, `degraded` while the source or the state dir fails. */
/** A resource type's key in the JSON: `listeners`, `routes`, `clusters`, `endpoints`, `secrets`. */
export type ResourceKey = (typeof RESOURCE_KEYS)[XdsTypeName];

/** Where one type stands for one proxy; null where nothing happened yet. */
export interface TypeVersionsJson {
  /** The version of the last response sent. */
  readonly sent: string | null;
  /** The version last ACKed. */
  readonly acked: string | null;
  /** The version last NACKed (it stays after a later ACK: a record of the last refusal). */
  readonly nacked: string | null;
  /** The error_detail of the last NACK. */
  readonly error: string | null;
  /**
   * Responses of this type sent on the stream reported (0: none). A proxy that reconnects naming
   * the versions it holds, equal to what is served, gets none: this stays 0.
   */
  readonly responses: number;
}

/** One entry of `/api/v1/proxies`. `versions` has all five keys, in push order. */
export interface ProxyJson {
  /** The node id, `MESH.NAME`. */
  readonly id: string;
  /** `envoy` or `grpc` (proxyless); null while the node has no snapshot. */
  readonly flavour: string | null;
  readonly connected: boolean;
  readonly versions: { readonly [K in ResourceKey]: TypeVersionsJson };
  /** The commit of what the proxy last ACKed (or, before any ACK, was last sent); see proxiesJson. */
  readonly commit: string | null;
}

/** One proxy in `/api/v1/snapshot`: as `snapshot --format json` prints its versions and resources, plus its flavour. */
export interface SnapshotProxyJson {
  readonly flavour: string | null;
  readonly versions: Readonly<Record<string, string>>;
  readonly resources: Readonly<Record<string, readonly unknown[]>>;
}

/** `/api/v1/snapshot`: what is served, per node id. */
export interface SnapshotJson {
  /** The live commit (null: a folder source, or nothing served yet). */
  readonly commit: string | null;
  readonly proxies: Readonly<Record<string, SnapshotProxyJson>>;
}

/** What the admin API reads. Every function is called per request, on the event loop, and may throw (→ 500). */
export interface AdminModel {
  ready(): boolean;
  status(): StatusJson;
  proxies(): readonly ProxyJson[];
  snapshot(): SnapshotJson;
  readonly metrics: Pick<Metrics, 'text' | 'contentType'>;
}

const NULL_VERSIONS: TypeVersionsJson = Object.freeze({ sent: null, acked: null, nacked: null, error: null, responses: 0 });

/** Options of proxiesJson. */
export interface ProxiesJsonOptions {
  /** The commit of the node's current snapshot record (cache.get(id)?.commit), to name the live commit when the proxy ACKed some of it. */
  readonly currentCommit?: (nodeId: string) => string | undefined;
  /**
   * Node ids that have a snapshot (cache.nodeIds()) with their flavour: those no stream ever
   * named are listed too, `connected: false` and all versions null, so a proxy that never
   * connected shows.
   */
  readonly known?: ReadonlyMap<string, string | undefined>;
}

/**
 * `/api/v1/proxies` from the ADS read model (pure), sorted by id.
 *
 * Several streams may carry one node id: for each type, the stream reported is the most
 * recently connected open one that has that type (or, when none is open, the last closed one).
 * `commit` is approximate when the types disagree (a change reaches only the types it
 * touches): the live commit when the proxy ACKed any type of it, else the ACKed commit all types
 * share, else that of the first type in push order; failing any ACK, the same over sent commits;
 * else null. Commit "" (a folder source) is null.
 */
export function proxiesJson(statuses: readonly ProxyStatus[], options: ProxiesJsonOptions = {}): ProxyJson[] {
  const out: ProxyJson[] = statuses.map((status) => proxyJson(status, options.currentCommit?.(status.nodeId)));
  const seen = new Set(statuses.map((s) => s.nodeId));
  for (const [id, flavour] of options.known ?? []) {
    if (seen.has(id)) continue;
    out.push({ id, flavour: flavour ?? null, connected: false, versions: allTypes(() => NULL_VERSIONS), commit: null });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function proxyJson(status: ProxyStatus, currentCommit: string | undefined): ProxyJson {
  const open = status.streams.filter((s) => s.connected);
  const candidates = [...(open.length > 0 ? open : status.streams)].sort(newestFirst);
  const chosen = new Map<XdsTypeName, TypeStatus>();
  for (const type of PUSH_ORDER) {
    const found = candidates.find((s) => s.types[type] !== undefined)?.types[type];
    if (found) chosen.set(type, found);
  }
  const versions = allTypes((type) => {
    const t = chosen.get(type);
    return t ? { sent: t.sentVersion ?? null, acked: t.ackedVersion ?? null, nacked: t.nackedVersion ?? null, error: t.error ?? null, responses: t.responses } : NULL_VERSIONS;
  });
  const pick = (key: 'ackedCommit' | 'sentCommit'): string | undefined => {
    const commits = PUSH_ORDER.map((type) => chosen.get(type)?.[key]).filter((c): c is string => c !== undefined);
    if (commits.length === 0) return undefined;
    if (currentCommit !== undefined && commits.includes(currentCommit)) return currentCommit;
    return commits[0];
  };
  const commit = pick('ackedCommit') ?? pick('sentCommit');
  return { id: status.nodeId, flavour: status.flavour ?? null, connected: status.connected, versions, commit: commit ? commit : null };
}

/** Open streams by connection time, newest first (ties: the higher stream id). */
function newestFirst(a: StreamStatus, b: StreamStatus): number {
  if (a.connectedAt !== b.connectedAt) return a.connectedAt < b.connectedAt ? 1 : -1;
  return b.streamId - a.streamId;
}

function allTypes<V>(value: (type: XdsTypeName) => V): { [K in ResourceKey]: V } {
  const out = {} as { [K in ResourceKey]: V };
  for (const type of PUSH_ORDER) out[RESOURCE_KEYS[type]] = value(type);
  return out;
}

/** Decoded snapshots by value: a Snapshot is immutable, so its JSON is built once however often it is served. */
const decoded = new WeakMap<Snapshot, ReturnType<typeof snapshotJson>>();

/** What snapshotJsonOf reads: a SnapshotCache does. */
export interface SnapshotRecords {
  nodeIds(): string[];
  get(nodeId: string): SnapshotRecord | undefined;
}

/**
 * `/api/v1/snapshot` from the cache. `commit` is the live commit when given (the reconciler's
 * status), else the commit every record shares, else null. Resources are decoded once per
 * snapshot value (memoized), so serving an unchanged fleet again costs only the stringify.
 */
export function snapshotJsonOf(cache: SnapshotRecords, commit?: string | null): SnapshotJson {
  const proxies: Record<string, SnapshotProxyJson> = {};
  const commits = new Set<string>();
  for (const id of cache.nodeIds()) {
    const record = cache.get(id);
    if (!record) continue;
    commits.add(record.commit);
    let json = decoded.get(record.snapshot);
    if (!json) decoded.set(record.snapshot, (json = snapshotJson(record.snapshot)));
    proxies[id] = { flavour: record.flavour ?? null, versions: json.versions, resources: json.resources };
  }
  const shared = commits.size === 1 ? [...commits][0] : undefined;
  const resolved = commit !== undefined ? commit : (shared ?? null);
  return { commit: resolved ? resolved : null, proxies };
}

/** The parts a running `serve` has, from which adminModel builds the AdminModel. */
export interface AdminModelParts {
  /** The reconciler (or anything with its ready/status). */
  readonly reconciler: { ready(): boolean; status(): StatusJson };
  /** The ADS service's read model; left out: only the cache's proxies are listed, as not connected. */
  readonly ads?: { proxies(): readonly ProxyStatus[] };
  readonly cache: SnapshotRecords;
  readonly metrics: Pick<Metrics, 'text' | 'contentType'>;
}

/** The AdminModel of a running serve: status from the reconciler, proxies from ADS and the cache, snapshot from the cache. */
export function adminModel(parts: AdminModelParts): AdminModel {
  return {
    ready: () => parts.reconciler.ready(),
    status: () => parts.reconciler.status(),
    proxies: () => {
      const known = new Map(parts.cache.nodeIds().map((id) => [id, parts.cache.get(id)?.flavour] as const));
      return proxiesJson(parts.ads?.proxies() ?? [], { known, currentCommit: (id) => parts.cache.get(id)?.commit });
    },
    snapshot: () => snapshotJsonOf(parts.cache, parts.reconciler.status().live?.commit),
    metrics: parts.metrics,
  };
}

/** Options of startAdminServer. */
export interface AdminServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port); `serve` passes --http-port (5680). */
  readonly port?: number;
  readonly model: AdminModel;
  /** The webhook; left out (or without a secret): `/webhook` answers 404. */
  readonly webhook?: WebhookOptions;
  readonly logger?: Logger;
}

/** A running admin server. */
export interface AdminServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** `host:port`. */
  readonly address: string;
  /** Stops listening and closes every connection (keep-alive ones too). Idempotent. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

interface Route {
  readonly methods: readonly string[];
  readonly handle: Handler;
}

const READ = ['GET', 'HEAD'] as const;

/**
 * Starts the admin HTTP server on host:port (module comment). Resolves once listening; rejects
 * when it cannot bind. Never crashes on a request: a failing handler answers 500.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.logger ?? noopLogger;
  const { model } = options;
  const webhook = webhookHandler(options.webhook ?? { onPush: () => undefined });
  const routes = new Map<string, Route>([
    ['/healthz', { methods: READ, handle: (_req, res) => sendText(res, 200, 'ok\n') }],
    ['/readyz', { methods: READ, handle: (_req, res) => (model.ready() ? sendText(res, 200, 'ready\n') : sendText(res, 503, 'not ready: no snapshot served yet\n')) }],
    ['/metrics', { methods: READ, handle: async (_req, res) => sendText(res, 200, await model.metrics.text(), model.metrics.contentType) }],
    ['/api/v1/status', { methods: READ, handle: (_req, res) => sendJson(res, 200, model.status()) }],
    ['/api/v1/proxies', { methods: READ, handle: (_req, res) => sendJson(res, 200, model.proxies()) }],
    ['/api/v1/snapshot', { methods: READ, handle: (_req, res) => sendJson(res, 200, model.snapshot()) }],
    // The webhook answers its own 404 (no secret) and 405, in that order.
    ['/webhook', { methods: ['*'], handle: webhook }],
  ]);

  const server = createServer((req, res) => {
    const started = performance.now();
    const path = pathOf(req.url);
    res.on('finish', () => {
      const fields = { method: req.method, path, status: res.statusCode, ms: Math.round((performance.now() - started) * 10) / 10 };
      if (res.statusCode >= 500) log.warn(fields, 'admin request failed');
      else log.debug(fields, 'admin request');
    });
    void (async () => {
      try {
        const route = path === undefined ? undefined : routes.get(path);
        if (!route) return sendJson(res, 404, errorBody('NotFound', `no route ${redactUrl(req.url ?? '')}`));
        if (!route.methods.includes('*') && !route.methods.includes(req.method ?? '')) {
          res.setHeader('allow', route.methods.join(', '));
          return sendJson(res, 405, errorBody('MethodNotAllowed', `${req.method ?? ''} is not allowed on ${path}; use ${route.methods.join(' or ')}`));
        }
        await route.handle(req, res);
      } catch (error) {
        log.error({ err: error, path }, 'admin handler failed');
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, errorBody('Internal', redactUrl(error instanceof Error ? error.message : String(error))));
      }
    })();
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => log.error({ err: error }, 'admin server error'));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** The path of a request target (no query), or undefined when it does not parse. */
function pathOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '/', 'http://admin.invalid').pathname;
  } catch {
    return undefined;
  }
}

function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Serializes `value` once and sends it. */
function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
