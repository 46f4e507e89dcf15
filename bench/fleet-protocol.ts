// The IPC messages between the fleet bench (bench/fleet.ts, the control plane) and its client processes (bench/fleet-client.ts).

/** One simulated proxy a client process runs. */
export interface FleetProxySpec {
  /** Index in the fleet (0..N-1), used in every report. */
  readonly index: number;
  /** The node id the proxy sends (`MESH.DATAPLANE`). */
  readonly nodeId: string;
  /** Envoy's `--service-cluster`. */
  readonly cluster: string;
}

/**
 * The versions one proxy holds and has ACKed, in the order lds, cds, eds, rds; '' for a type
 * it does not subscribe to (no EDS cluster, no RDS route config named).
 */
export type FleetVersions = readonly [lds: string, cds: string, eds: string, rds: string];

/** Parent → client. */
export type ToFleetClient =
  | { readonly type: 'start'; readonly address: string; readonly proxies: readonly FleetProxySpec[] }
  /** Asks for a FleetClientStats reply; `reset` restarts the event-loop delay histogram. */
  | { readonly type: 'stats'; readonly reset: boolean }
  | { readonly type: 'stop' };

/** Client process figures (cumulative since start, except the event-loop figures: since the last reset). */
export interface FleetClientStats {
  readonly rss: number;
  readonly heapUsed: number;
  /** CPU µs (user + system) since the process started. */
  readonly cpuUs: number;
  readonly responses: number;
  readonly requests: number;
  readonly bytes: number;
  readonly streamsOpen: number;
  readonly loopMaxMs: number;
  readonly loopP99Ms: number;
}

/** Client → parent. */
export type FromFleetClient =
  | { readonly type: 'ready'; readonly pid: number }
  /** Proxies that settled (every subscribed type ACKed, EDS/RDS answering the current interest) at these versions; [index, versions]. */
  | { readonly type: 'settled'; readonly items: readonly (readonly [number, FleetVersions])[] }
  | { readonly type: 'error'; readonly index: number; readonly message: string }
  | ({ readonly type: 'stats' } & FleetClientStats)
  | { readonly type: 'stopped' };
