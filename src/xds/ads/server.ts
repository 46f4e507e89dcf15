// The ADS gRPC server: grpc-js wiring of SotW and Delta sessions over a SnapshotSource, push fan-out, per-stream limits, and the live-state read model.
import * as grpc from '@grpc/grpc-js';
import type { SnapshotSource } from '../cache.js';
import { ADS_SERVICE, type DeltaAdsHandler, type SotwAdsHandler } from './codec.js';
import { DeltaSession } from './delta.js';
import { PushScheduler, type FanoutOptions, type FanoutStats } from './fanout.js';
import { PROXY_STATE_ORDER, type AdsHooks, type AdsSession, type AnyDiscoveryRequest, type AnyDiscoveryResponse, type LiveSession, type ProxyState, type SessionOptions, type StreamStatus, type SyncState } from './session.js';
import { SotwSession } from './sotw.js';

/** One node id's live state: its streams (open ones, else the last one closed). */
export interface ProxyStatus {
  readonly nodeId: string;
  readonly connected: boolean;
  /** The worst state over its open streams' types (PROXY_STATE_ORDER); 'Disconnected' when none is open. */
  readonly state: ProxyState;
  /** The flavour of its snapshot (from its latest stream that has one). */
  readonly flavour?: string;
  /** Connected, and every open stream ACKed what the current snapshot holds for it. */
  readonly synced: boolean;
  readonly streams: readonly StreamStatus[];
}

/** Per-stream limits: a client over them gets RESOURCE_EXHAUSTED and its stream ends (it reconnects with backoff). */
export interface StreamLimits {
  /** Sustained requests per second per stream (default 100). */
  readonly requestsPerSecond?: number;
  /** Requests a stream may send in a burst above the sustained rate (default 500: a full resubscribe of a large proxy). */
  readonly requestBurst?: number;
  /** Largest request message, bytes (default 4 MiB; grpc's own check, per message). */
  readonly maxRequestBytes?: number;
}

/** Options of the ADS service; effects come in here (STYLE.md §11). */
export interface AdsServiceOptions {
  readonly source: SnapshotSource;
  readonly hooks?: AdsHooks & {
    onStreamOpen?(streamId: number): void;
    onStreamClose?(streamId: number, reason: string): void;
  };
  readonly now?: () => Date;
  /** Debounce and concurrency of pushes on snapshot changes. */
  readonly fanout?: FanoutOptions;
  readonly limits?: StreamLimits;
}

/**
 * The ADS service state: the sessions of open streams (SotW and Delta) and the last closed
 * stream of each node id that has no open one. Add it to any grpc.Server with `addTo`.
 */
export class AdsService {
  readonly #options: AdsServiceOptions;
  readonly #sessions = new Map<number, LiveSession>();
  /** Last closed stream per node id, kept for the read model. */
  readonly #closed = new Map<string, StreamStatus>();
  readonly #fanout: PushScheduler;
  #nextStream = 0;

  constructor(options: AdsServiceOptions) {
    this.#options = options;
    this.#fanout = new PushScheduler(options.fanout);
  }

  /** Registers StreamAggregatedResources and DeltaAggregatedResources on `server`. */
  addTo(server: grpc.Server): void {
    const implementation: { StreamAggregatedResources: SotwAdsHandler; DeltaAggregatedResources: DeltaAdsHandler } = {
      StreamAggregatedResources: (call) => this.#stream(call, (options) => new SotwSession(options)),
      DeltaAggregatedResources: (call) => this.#stream(call, (options) => new DeltaSession(options)),
    };
    server.addService(ADS_SERVICE, implementation);
  }

  #stream<Req extends AnyDiscoveryRequest, Res extends AnyDiscoveryResponse>(call: grpc.ServerDuplexStream<Req, Res>, makeSession: (options: SessionOptions<Res>) => AdsSession<Req, Res>): void {
    const streamId = ++this.#nextStream;
    const hooks = this.#options.hooks ?? {};
    const limits = this.#options.limits ?? {};
    const bucket = new TokenBucket(limits.requestsPerSecond ?? 100, limits.requestBurst ?? 500);
    let ended = false;
    const session = makeSession({
      streamId,
      source: this.#options.source,
      hooks,
      ...(this.#options.now ? { now: this.#options.now } : {}),
      schedulePush: (target) => this.#fanout.request(target),
      send: (response) =>
        new Promise<void>((resolve) => {
          if (ended) return resolve();
          call.write(response, () => resolve());
        }),
    });
    this.#sessions.set(streamId, session);
    hooks.onStreamOpen?.(streamId);
    const finish = (reason: string) => {
      if (ended) return;
      ended = true;
      session.close();
      this.#fanout.forget(session);
      this.#sessions.delete(streamId);
      const status = session.status();
      if (status.nodeId !== undefined) this.#closed.set(status.nodeId, status);
      hooks.onStreamClose?.(streamId, reason);
    };
    call.on('data', (request: Req) => {
      if (ended) return;
      if (!bucket.take()) {
        const details = `more than ${bucket.rate} requests/s (burst ${bucket.burst}) on one ADS stream`;
        finish(`limit: ${details}`);
        call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details });
        return;
      }
      if (request.node && this.#closed.has(request.node.id)) this.#closed.delete(request.node.id);
      session.onRequest(request);
    });
    call.on('end', () => {
      finish('client half-closed');
      call.end();
    });
    call.on('cancelled', () => finish('cancelled'));
    call.on('error', (error: Error) => finish(`error: ${error.message}`));
    call.on('close', () => finish('closed'));
  }

  /** Every open stream's live state, by stream id. */
  streams(): StreamStatus[] {
    return [...this.#sessions.values()].map((session) => session.status());
  }

  /** What the push fan-out did so far. */
  fanoutStats(): FanoutStats {
    return this.#fanout.stats();
  }

  /** Node ids with at least one open stream (cheap: no status is built). */
  connectedCount(): number {
    const ids = new Set<string>();
    for (const session of this.#sessions.values()) if (session.nodeId !== undefined) ids.add(session.nodeId);
    return ids.size;
  }

  /** Live state per node id, sorted by node id: open streams, or the last closed one. */
  proxies(): ProxyStatus[] {
    return this.#statuses(undefined);
  }

  /** Live state of these node ids (those no stream ever named are left out), sorted by node id. */
  proxiesOf(nodeIds: Iterable<string>): ProxyStatus[] {
    return this.#statuses(new Set(nodeIds));
  }

  /**
   * Cheaply, for each of these node ids with an open stream: NACKed if any open stream NACKed its
   * latest response, synced if every open stream ACKed the current snapshot, else pending. Node
   * ids with no open stream are left out (not connected).
   */
  syncOf(nodeIds: Iterable<string>): Map<string, SyncState & { readonly connected: true }> {
    const only = new Set(nodeIds);
    const out = new Map<string, SyncState & { readonly connected: true }>();
    for (const session of this.#sessions.values()) {
      const nodeId = session.nodeId;
      if (nodeId === undefined || !only.has(nodeId)) continue;
      const sync = session.syncState();
      const before = out.get(nodeId);
      if (!before || sync.state === 'nacked' || (sync.state === 'pending' && before.state === 'synced')) out.set(nodeId, { ...sync, connected: true });
    }
    return out;
  }

  /** The live state of one node id, or undefined when no stream ever named it. */
  proxy(nodeId: string): ProxyStatus | undefined {
    return this.#statuses(new Set([nodeId]))[0];
  }

  #statuses(only: ReadonlySet<string> | undefined): ProxyStatus[] {
    const byNode = new Map<string, StreamStatus[]>();
    for (const session of this.#sessions.values()) {
      const nodeId = session.nodeId;
      if (nodeId === undefined || (only && !only.has(nodeId))) continue;
      const list = byNode.get(nodeId) ?? [];
      list.push(session.status());
      byNode.set(nodeId, list);
    }
    for (const [nodeId, status] of this.#closed) if (!byNode.has(nodeId) && (!only || only.has(nodeId))) byNode.set(nodeId, [status]);
    return [...byNode.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([nodeId, streams]) => {
        const connected = streams.some((s) => s.connected);
        const flavour = streams.findLast((s) => s.flavour !== undefined)?.flavour;
        const synced = connected && streams.every((s) => !s.connected || s.synced);
        return { nodeId, connected, state: connected ? worst(streams) : 'Disconnected', ...(flavour !== undefined && { flavour }), synced, streams };
      });
  }

  /** Closes every session and stops the fan-out (their streams are ended by the server's shutdown). */
  closeAll(): void {
    this.#fanout.stop();
    for (const session of this.#sessions.values()) session.close();
  }
}

/** Requests allowed per stream: `rate` per second sustained, `burst` at once. */
class TokenBucket {
  #tokens: number;
  #at = Date.now();
  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {
    this.#tokens = burst;
  }

  take(): boolean {
    const now = Date.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.rate);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

function worst(streams: readonly StreamStatus[]): ProxyState {
  let rank = PROXY_STATE_ORDER.length - 1;
  for (const stream of streams) {
    if (!stream.connected) continue;
    for (const status of Object.values(stream.types)) {
      if (status) rank = Math.min(rank, PROXY_STATE_ORDER.indexOf(status.state));
    }
  }
  return PROXY_STATE_ORDER[rank] ?? 'Acked';
}

/** A running ADS server. */
export interface AdsServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** `host:port`, as a client dials it. */
  readonly address: string;
  readonly service: AdsService;
  /** Stops at once: open streams are cancelled. */
  close(): Promise<void>;
}

/** Options of startAdsServer. */
export interface StartAdsServerOptions extends AdsServiceOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** grpc-js server options (keepalive...); limits.maxRequestBytes sets the receive limit. */
  readonly grpcOptions?: grpc.ServerOptions;
}

/**
 * Starts a gRPC server serving ADS (SotW and Delta) over `source` on host:port, insecure (grpc-js-xds only
 * speaks insecure to its control plane; XDS.md). Resolves once bound; rejects when it cannot bind.
 */
export async function startAdsServer(options: StartAdsServerOptions): Promise<AdsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = new grpc.Server({ 'grpc.max_receive_message_length': options.limits?.maxRequestBytes ?? 4 * 1024 * 1024, ...options.grpcOptions });
  const service = new AdsService(options);
  service.addTo(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return {
    port,
    address: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    service,
    close: async () => {
      service.closeAll();
      server.forceShutdown();
    },
  };
}
