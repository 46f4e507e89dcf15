// The ADS gRPC server: grpc-js wiring of SotW sessions over a SnapshotSource, and the live-state read model.
import * as grpc from '@grpc/grpc-js';
import type { SnapshotSource } from '../cache.js';
import { ADS_SERVICE, type DiscoveryRequest, type DiscoveryResponse, type SotwAdsHandler } from './codec.js';
import { PROXY_STATE_ORDER, SotwSession, type ProxyState, type SotwHooks, type StreamStatus } from './sotw.js';

/** One node id's live state: its streams (open ones, else the last one closed). */
export interface ProxyStatus {
  readonly nodeId: string;
  readonly connected: boolean;
  /** The worst state over its open streams' types (PROXY_STATE_ORDER); 'Disconnected' when none is open. */
  readonly state: ProxyState;
  readonly streams: readonly StreamStatus[];
}

/** Options of the ADS service; effects come in here (STYLE.md §11). */
export interface AdsServiceOptions {
  readonly source: SnapshotSource;
  readonly hooks?: SotwHooks & {
    onStreamOpen?(streamId: number): void;
    onStreamClose?(streamId: number, reason: string): void;
  };
  readonly now?: () => Date;
}

/**
 * The ADS service state: the sessions of open streams and the last closed stream of each node
 * id that has no open one. Add it to any grpc.Server with `addTo`.
 */
export class AdsService {
  readonly #options: AdsServiceOptions;
  readonly #sessions = new Map<number, SotwSession>();
  /** Last closed stream per node id, kept for the read model. */
  readonly #closed = new Map<string, StreamStatus>();
  #nextStream = 0;

  constructor(options: AdsServiceOptions) {
    this.#options = options;
  }

  /** Registers StreamAggregatedResources on `server`. */
  addTo(server: grpc.Server): void {
    const implementation: { StreamAggregatedResources: SotwAdsHandler } = { StreamAggregatedResources: (call) => this.#stream(call) };
    server.addService(ADS_SERVICE, implementation);
  }

  #stream(call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>): void {
    const streamId = ++this.#nextStream;
    const hooks = this.#options.hooks ?? {};
    let ended = false;
    const session = new SotwSession({
      streamId,
      source: this.#options.source,
      hooks,
      ...(this.#options.now ? { now: this.#options.now } : {}),
      send: (response) => {
        if (!ended) call.write(response);
      },
    });
    this.#sessions.set(streamId, session);
    hooks.onStreamOpen?.(streamId);
    const finish = (reason: string) => {
      if (ended) return;
      ended = true;
      session.close();
      this.#sessions.delete(streamId);
      const status = session.status();
      if (status.nodeId !== undefined) this.#closed.set(status.nodeId, status);
      hooks.onStreamClose?.(streamId, reason);
    };
    call.on('data', (request: DiscoveryRequest) => {
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

  /** Live state per node id, sorted by node id: open streams, or the last closed one. */
  proxies(): ProxyStatus[] {
    const byNode = new Map<string, StreamStatus[]>();
    for (const status of this.streams()) {
      if (status.nodeId === undefined) continue;
      const list = byNode.get(status.nodeId) ?? [];
      list.push(status);
      byNode.set(status.nodeId, list);
    }
    for (const [nodeId, status] of this.#closed) if (!byNode.has(nodeId)) byNode.set(nodeId, [status]);
    return [...byNode.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([nodeId, streams]) => {
        const connected = streams.some((s) => s.connected);
        return { nodeId, connected, state: connected ? worst(streams) : 'Disconnected', streams };
      });
  }

  /** The live state of one node id, or undefined when no stream ever named it. */
  proxy(nodeId: string): ProxyStatus | undefined {
    return this.proxies().find((p) => p.nodeId === nodeId);
  }

  /** Closes every session (their streams are ended by the server's shutdown). */
  closeAll(): void {
    for (const session of this.#sessions.values()) session.close();
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
  /** grpc-js server options (message size limits, keepalive). */
  readonly grpcOptions?: grpc.ServerOptions;
}

/**
 * Starts a gRPC server serving ADS (SotW) over `source` on host:port, insecure (grpc-js-xds only
 * speaks insecure to its control plane; XDS.md). Resolves once bound; rejects when it cannot bind.
 */
export async function startAdsServer(options: StartAdsServerOptions): Promise<AdsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = new grpc.Server(options.grpcOptions);
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
