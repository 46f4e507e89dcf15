// Bench: a fleet of simulated proxies on real gRPC ADS streams against the ADS server (issue 4, item 8).
//
// This process is the control plane: it compiles a mesh of N Dataplanes (bench/compile.ts's
// generator, 10 replicas per service), fills a SnapshotCache and serves it with startAdsServer on
// 127.0.0.1. The fleet runs in separate processes (bench/fleet-client.ts): one gRPC connection
// and one SotW ADS stream per proxy, subscribing and ACKing as Envoy does.
//
// Every time is taken in this process, from the server's side: hooks on the ADS server follow
// each stream (responses sent, ACKs of the latest nonce, subscriptions), and a proxy counts as
// done when it has ACKed, for LDS, CDS, EDS and RDS, exactly the versions of its snapshot in the
// cache. The client processes report the versions each proxy settled at; a phase ends only when
// both sides agree for every proxy.
//
// Phases:
// 1. connect: the clients open their N streams at once → every proxy ACKed its snapshot; the
//    control plane's memory is measured before (no proxy) and after (N connected and ACKed);
// 2. update, all proxies (--runs times): a Mesh-wide MeshTimeout changes LDS, RDS and CDS of
//    every proxy; compile + snapshot is timed apart from publish (cache.set of every node) and
//    from push → all ACKed (from the first cache.set);
// 3. update, a few proxies (--runs times): a MeshTimeout on one service's Dataplanes; counts
//    the responses sent, to show only the changed proxies are pushed.
//
// Notes on reading the figures:
// - the connect phase is bound by the client processes dialling (they open 25 channels per turn);
//   "stream open → ACKed" is the server's part of it;
// - memory is process.memoryUsage() after two full GCs (global.gc, or one obtained at run time
//   through v8.setFlagsFromString('--expose-gc')); per connected proxy it includes the bench's
//   own per-stream tracking (well under 1 KiB);
// - the hooks cost about 1.5 µs per response + ACK pair (measured apart), ~1 % of the server's CPU;
// - on a machine shared with other work every figure moves: the load average is printed;
// - --fleet-profile DIR writes a CPU profile of this process per phase (slows it down noticeably:
//   for attribution only, not for timing).
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { buildMeshContexts, compileProxy } from '../src/compile/compile.js';
import { validateFiles } from '../src/policies/validate-files.js';
import { startAdsServer, type AdsServer } from '../src/xds/ads/server.js';
import { SnapshotCache } from '../src/xds/cache.js';
import { checkConsistent, EncodeCache, makeSnapshot, type Snapshot } from '../src/xds/snapshot.js';
import { typeNameOf, type XdsTypeName } from '../src/xds/type-urls.js';
import { generateMesh } from './compile.js';
import type { FleetClientStats, FleetProxySpec, FleetVersions, FromFleetClient, ToFleetClient } from './fleet-protocol.js';

export interface FleetBenchOptions {
  /** Simulated proxies (Dataplanes), default 1,000. */
  readonly proxies?: number;
  /** Runs of each update phase, default 5. */
  readonly runs?: number;
  /** Client processes the fleet is spread over; default: the cores left beside this one (1 to 4). */
  readonly processes?: number;
  /** Limit of each phase, default 120 s. */
  readonly timeoutMs?: number;
  /** Writes a CPU profile of this process (the control plane) per phase into this folder (connect.cpuprofile, update-all-1.cpuprofile, ...). */
  readonly profileDir?: string;
  readonly log?: (line: string) => void;
}

/** One phase: from its start (clients told to connect, or the first cache.set) to every proxy ACKed. */
export interface FleetPhase {
  /** Proxies the phase waits for (the nodes whose snapshot changed). */
  readonly proxies: number;
  /** Start → every proxy ACKed its snapshot's versions (server side). */
  readonly allAckedMs: number;
  /** Start → every client process reported its proxies settled at those versions (IPC included). */
  readonly clientsConfirmedMs: number;
  /** Per proxy: its cache.set (or the start) → its last ACK; sorted. */
  readonly latenciesMs: readonly number[];
  /** Per proxy: its stream opened (server side) → its last ACK; sorted (the connect phase's figure without the dialling). */
  readonly sinceOpenMs: readonly number[];
  readonly firstResponseMs: number;
  readonly lastResponseMs: number;
  readonly firstAckMs: number;
  /** Responses the server sent during the phase (and the quiet time after it). */
  readonly responses: number;
  /** Those responses by type (lds, cds, ...). */
  readonly responsesByType: Readonly<Record<string, number>>;
  /** Resource bytes in those responses. */
  readonly bytes: number;
  /** Streams that got at least one response. */
  readonly streamsPushed: number;
  /** Responses to streams of proxies outside the phase (an update touching a few proxies must send none). */
  readonly responsesToOthers: number;
  readonly acks: number;
  readonly nacks: number;
  /** This process's CPU during the phase (the server, plus the bench's hooks). */
  readonly serverCpuMs: number;
  /** The longest event-loop delay of this process during the phase (monitorEventLoopDelay), and the p99 delay. */
  readonly loopMaxMs: number;
  readonly loopP99Ms: number;
  /** Event-loop stalls over 20 ms: [ms after the phase start, length ms]. */
  readonly stalls: readonly (readonly [number, number])[];
  /** Garbage collections of this process during the phase. */
  readonly gcCount: number;
  readonly gcMs: number;
  readonly gcMaxMs: number;
  /** Update phases: publish (cache.set of every node, synchronous). */
  readonly publishMs?: number;
  /** The server's own fan-out counters over the phase (AdsService.fanoutStats, when the server has it): pushes started, bursts, timed out. */
  readonly fanout?: { readonly pushes: number; readonly bursts: number; readonly timedOut: number };
  /** Update phases: validate + compile + snapshot + consistency check of the new revision. */
  readonly compileMs?: number;
  readonly clientCpuMs: number;
  readonly clientLoopMaxMs: number;
}

export interface MemoryFigures {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

export interface FleetBenchResult {
  readonly proxies: number;
  readonly services: number;
  readonly replicas: number;
  readonly policies: number;
  readonly processes: number;
  readonly gc: boolean;
  /** 1-minute load average and cores when the bench started (other work on the machine skews the figures). */
  readonly load: { readonly average: number; readonly cores: number; readonly averageAtEnd: number };
  readonly initialCompileMs: number;
  /** The connect phase, plus when the N streams were open. */
  readonly connect: FleetPhase & { readonly allStreamsOpenMs: number };
  readonly memoryBefore: MemoryFigures;
  readonly memoryConnected: MemoryFigures;
  readonly memoryAfterUpdates: MemoryFigures;
  readonly clientMemory: { readonly rss: number; readonly heapUsed: number };
  /** service.proxies() over the whole fleet: its time, and how many read Acked. */
  readonly readModel: { readonly ms: number; readonly acked: number; readonly total: number };
  readonly updateAll: readonly FleetPhase[];
  readonly updateFew: readonly FleetPhase[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT = fileURLToPath(new URL('./fleet-client.ts', import.meta.url));
const REPLICAS = 10;
const CHECKED: readonly Exclude<XdsTypeName, 'sds'>[] = ['lds', 'cds', 'eds', 'rds'];

export const svc = (i: number, n: number) => `svc-${String(((i % n) + n) % n).padStart(4, '0')}`;

/** The update touching every proxy (run r ≥ 1): Mesh-wide timeouts change clusters, listeners and routes. */
export const updateAllDoc = (r: number) => `type: MeshTimeout
name: fleet-all
mesh: default
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: Mesh}
      default: {connectionTimeout: ${2 + r}s, idleTimeout: ${20 + r}m, http: {requestTimeout: ${5 + r}s}}
`;

/** The update touching one service's Dataplanes (run r ≥ 1). */
export const updateFewDoc = (r: number, services: number) => `type: MeshTimeout
name: fleet-few
mesh: default
spec:
  targetRef: {kind: Dataplane, labels: {app: ${svc(3, services)}}}
  to:
    - targetRef: {kind: Mesh}
      default: {connectionTimeout: ${30 + r}s, http: {requestTimeout: ${40 + r}s}}
`;

/** global.gc when node runs with --expose-gc, else the same function obtained at run time. */
export function obtainGc(): (() => void) | undefined {
  if (typeof globalThis.gc === 'function') return globalThis.gc as () => void;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export function memory(gc: (() => void) | undefined): MemoryFigures {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

interface Compiled {
  readonly snapshots: Map<string, Snapshot>;
  readonly ms: number;
}

/** What `gitmesh serve` does per revision (src/reconcile/serve.ts build): validate, compile every Dataplane, snapshot, check. */
function compileRevision(docs: readonly string[], encode: EncodeCache): Compiled {
  const start = performance.now();
  const validation = validateFiles({ files: [{ path: 'mesh.yaml', bytes: new TextEncoder().encode(docs.join('---\n')) }], load: { maxDocuments: 1_000_000 } });
  if (validation.summary.errors > 0) {
    const first = validation.diagnostics.find((d) => d.severity === 'error')!;
    throw new Error(`fleet bench: the generated mesh is invalid (${validation.summary.errors} errors), e.g. ${first.line}:${first.column} ${first.code} ${first.message}`);
  }
  const snapshots = new Map<string, Snapshot>();
  for (const ctx of buildMeshContexts(validation.resources).values()) {
    for (const dataplane of ctx.dataplanes) {
      const nodeId = `${ctx.mesh}.${dataplane.name}`;
      const snapshot = makeSnapshot(compileProxy(ctx, dataplane).xds, encode);
      const problems = checkConsistent(snapshot, { proxy: nodeId });
      if (problems.length > 0) throw new Error(`fleet bench: inconsistent snapshot: ${problems[0]!.message}`);
      snapshots.set(nodeId, snapshot);
    }
  }
  return { snapshots, ms: performance.now() - start };
}

export function expectedVersions(snapshot: Snapshot): FleetVersions {
  return [
    snapshot.versions.lds,
    snapshot.versions.cds,
    snapshot.resources.eds.length > 0 ? snapshot.versions.eds : '',
    snapshot.resources.rds.length > 0 ? snapshot.versions.rds : '',
  ];
}

// ---------------------------------------------------------------------------------------------
// Following the server from its hooks.

/** What the hooks read of a request and a response: typed structurally, so SotW's shape is all the bench assumes of the server. */
export interface SeenRequest {
  readonly type_url: string;
  readonly version_info?: string;
  readonly response_nonce?: string;
  readonly node?: { readonly id: string };
  readonly error_detail?: unknown;
}
export interface SeenResponse {
  readonly type_url: string;
  readonly version_info?: string;
  readonly nonce: string;
  readonly resources: readonly unknown[];
}

interface TypeTrack {
  lastNonce: string | undefined;
  lastVersion: string | undefined;
  /** The version ACKed for the latest nonce; undefined while a response is unanswered. */
  acked: string | undefined;
}

interface StreamTrack {
  readonly streamId: number;
  readonly openedAt: number;
  nodeId: string | undefined;
  readonly types: Map<XdsTypeName, TypeTrack>;
}

export interface Phase {
  readonly start: number;
  readonly nodes: ReadonlySet<string>;
  readonly serverPending: Set<string>;
  readonly clientPending: Set<string>;
  readonly setAt: ReadonlyMap<string, number> | undefined;
  readonly latencies: number[];
  /** Per proxy: its stream opened → its last ACK. */
  readonly sinceOpen: number[];
  serverDoneAt: number | undefined;
  clientDoneAt: number | undefined;
  firstResponseAt: number | undefined;
  lastResponseAt: number | undefined;
  firstAckAt: number | undefined;
  responses: number;
  readonly byType: Map<string, number>;
  bytes: number;
  readonly pushed: Set<number>;
  responsesToOthers: number;
  acks: number;
  nacks: number;
  failure: Error | undefined;
  wake: (() => void) | undefined;
}

/** Follows every stream through the server's hooks; knows when a phase's proxies all ACKed their snapshots. */
export class Tracker {
  /** The snapshot a proxy must end on (the cache's, in the fleet bench); undefined: none yet, the proxy cannot be done. */
  readonly #snapshotOf: (nodeId: string) => Snapshot | undefined;
  readonly #streams = new Map<number, StreamTrack>();
  readonly #byNode = new Map<string, StreamTrack>();
  #phase: Phase | undefined;
  #stopping = false;
  streamsOpened = 0;
  allOpenAt: number | undefined;
  expectStreams = Infinity;

  constructor(
    snapshotOf: (nodeId: string) => Snapshot | undefined,
    /** Names the bench in failure messages. */
    readonly label = 'fleet bench',
  ) {
    this.#snapshotOf = snapshotOf;
  }

  readonly hooks = {
    onStreamOpen: (streamId: number) => {
      this.#streams.set(streamId, { streamId, openedAt: performance.now(), nodeId: undefined, types: new Map() });
      if (++this.streamsOpened === this.expectStreams) this.allOpenAt = performance.now();
    },
    onStreamClose: (streamId: number, reason: string) => {
      const track = this.#streams.get(streamId);
      this.#streams.delete(streamId);
      if (track?.nodeId !== undefined && this.#byNode.get(track.nodeId) === track) this.#byNode.delete(track.nodeId);
      if (!this.#stopping) this.fail(new Error(`the stream of ${track?.nodeId ?? `stream ${streamId}`} closed during the bench: ${reason}`));
    },
    onRequest: (streamId: number, request: SeenRequest) => this.#onRequest(streamId, request),
    onResponse: (streamId: number, response: SeenResponse) => this.#onResponse(streamId, response),
    onNack: () => {
      if (this.#phase) this.#phase.nacks++;
    },
  };

  stopping(): void {
    this.#stopping = true;
  }

  fail(error: Error): void {
    const phase = this.#phase;
    if (!phase) return;
    phase.failure ??= error;
    phase.wake?.();
  }

  #onRequest(streamId: number, request: SeenRequest): void {
    const track = this.#streams.get(streamId);
    if (!track) return;
    if (track.nodeId === undefined && request.node && request.node.id !== '') {
      track.nodeId = request.node.id;
      this.#byNode.set(track.nodeId, track);
    }
    const type = typeNameOf(request.type_url);
    if (!type) return;
    let t = track.types.get(type);
    if (!t) track.types.set(type, (t = { lastNonce: undefined, lastVersion: undefined, acked: undefined }));
    const nonce = request.response_nonce ?? '';
    if (nonce === '' || nonce !== t.lastNonce) return; // first request, or stale (the server ignores it)
    if (request.error_detail || request.version_info !== t.lastVersion) return;
    if (t.acked === undefined) {
      t.acked = request.version_info;
      const phase = this.#phase;
      if (!phase) return;
      phase.acks++;
      phase.firstAckAt ??= performance.now();
      if (track.nodeId !== undefined && phase.serverPending.has(track.nodeId)) this.#check(phase, track);
    }
  }

  #onResponse(streamId: number, response: SeenResponse): void {
    const track = this.#streams.get(streamId);
    const type = typeNameOf(response.type_url);
    if (!track || !type) return;
    let t = track.types.get(type);
    if (!t) track.types.set(type, (t = { lastNonce: undefined, lastVersion: undefined, acked: undefined }));
    t.lastNonce = response.nonce;
    t.lastVersion = response.version_info;
    t.acked = undefined;
    const phase = this.#phase;
    if (!phase) return;
    const now = performance.now();
    phase.firstResponseAt ??= now;
    phase.lastResponseAt = now;
    phase.responses++;
    phase.byType.set(type, (phase.byType.get(type) ?? 0) + 1);
    for (const any of response.resources) phase.bytes += (any as { value?: Uint8Array }).value?.length ?? 0;
    phase.pushed.add(streamId);
    if (track.nodeId === undefined || !phase.nodes.has(track.nodeId)) phase.responsesToOthers++;
  }

  /** Done: for each of LDS, CDS, EDS and RDS (when the snapshot has some), the ACKed version is the snapshot's. */
  #check(phase: Phase, track: StreamTrack): void {
    const nodeId = track.nodeId!;
    const snapshot = this.#snapshotOf(nodeId);
    if (!snapshot) return;
    for (const type of CHECKED) {
      if ((type === 'eds' || type === 'rds') && snapshot.resources[type].length === 0) continue;
      if (track.types.get(type)?.acked !== snapshot.versions[type]) return;
    }
    const now = performance.now();
    phase.serverPending.delete(nodeId);
    phase.latencies.push(now - (phase.setAt?.get(nodeId) ?? phase.start));
    phase.sinceOpen.push(now - track.openedAt);
    if (phase.serverPending.size === 0) {
      phase.serverDoneAt = now;
      if (phase.clientPending.size === 0) phase.wake?.();
    }
  }

  /** A client process's report: these proxies settled at these versions. */
  onSettled(nodeId: string, versions: FleetVersions): void {
    const phase = this.#phase;
    if (!phase || !phase.clientPending.has(nodeId)) return;
    const snapshot = this.#snapshotOf(nodeId);
    if (!snapshot) return;
    const expected = expectedVersions(snapshot);
    if (!expected.every((v, i) => v === versions[i])) return;
    phase.clientPending.delete(nodeId);
    if (phase.clientPending.size === 0) {
      phase.clientDoneAt = performance.now();
      if (phase.serverPending.size === 0) phase.wake?.();
    }
  }

  begin(nodes: Iterable<string>, start: number, setAt?: ReadonlyMap<string, number>): Phase {
    const set = new Set(nodes);
    const phase: Phase = {
      start,
      nodes: set,
      serverPending: new Set(set),
      clientPending: new Set(set),
      setAt,
      latencies: [],
      sinceOpen: [],
      serverDoneAt: undefined,
      clientDoneAt: undefined,
      firstResponseAt: undefined,
      lastResponseAt: undefined,
      firstAckAt: undefined,
      responses: 0,
      byType: new Map(),
      bytes: 0,
      pushed: new Set(),
      responsesToOthers: 0,
      acks: 0,
      nacks: 0,
      failure: undefined,
      wake: undefined,
    };
    this.#phase = phase;
    return phase;
  }

  end(): void {
    this.#phase = undefined;
  }

  /** Waits until the phase's proxies are done on both sides; throws with what is missing after `timeoutMs`. */
  async wait(phase: Phase, timeoutMs: number, what: string): Promise<void> {
    const done = () => phase.failure !== undefined || (phase.serverPending.size === 0 && phase.clientPending.size === 0);
    if (!done()) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        phase.wake = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      phase.wake = undefined;
    }
    if (phase.failure) throw new Error(`${this.label} (${what}): ${phase.failure.message}`);
    if (!done()) throw new Error(`${this.label} (${what}): not every proxy ACKed within ${Math.round(timeoutMs / 1000)} s\n${this.describe(phase)}`);
  }

  /** What is missing, for a timeout message. */
  describe(phase: Phase): string {
    const lines = [
      `  ${phase.nodes.size - phase.serverPending.size}/${phase.nodes.size} proxies ACKed their snapshot (server side); ${phase.nodes.size - phase.clientPending.size}/${phase.nodes.size} confirmed by their client`,
      `  streams open: ${this.#streams.size} (opened ${this.streamsOpened}); responses sent in the phase: ${phase.responses}, ACKs: ${phase.acks}, NACKs: ${phase.nacks}`,
    ];
    for (const nodeId of [...phase.serverPending].slice(0, 5)) {
      const track = this.#byNode.get(nodeId);
      const snapshot = this.#snapshotOf(nodeId);
      if (!track) {
        lines.push(`  ${nodeId}: no stream has named it`);
        continue;
      }
      const types = CHECKED.map((type) => {
        const t = track.types.get(type);
        return `${type} want ${snapshot?.versions[type] ?? '?'} sent ${t?.lastVersion ?? '-'} acked ${t?.acked ?? '-'}`;
      });
      lines.push(`  ${nodeId} (stream ${track.streamId}): ${types.join('; ')}`);
    }
    return lines.join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// This process's event loop, GC and CPU profile during a phase.

/** Gaps of the stall timer above this are listed as stalls. */
export const STALL_MS = 20;
const STALL_TICK_MS = 2;

export interface WatchFigures {
  readonly loopMaxMs: number;
  readonly loopP99Ms: number;
  /** Event-loop stalls over STALL_MS: [ms after the phase start, length ms]. */
  readonly stalls: readonly (readonly [number, number])[];
  readonly gcCount: number;
  readonly gcMs: number;
  readonly gcMaxMs: number;
}

/** Watches this process (the control plane) from a phase's start to its end. */
export class PhaseWatch {
  readonly #loop = monitorEventLoopDelay({ resolution: 1 });
  readonly #gc: PerformanceObserver;
  #gcEntries: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stalls: [number, number][] = [];
  #start = 0;
  #session: Session | undefined;

  constructor(readonly profileDir: string | undefined) {
    this.#gc = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.#gcEntries.push(entry.duration);
    });
  }

  async start(start: number): Promise<void> {
    if (this.profileDir !== undefined) {
      this.#session ??= new Session();
      this.#session.connect();
      await this.#session.post('Profiler.enable');
      await this.#session.post('Profiler.setSamplingInterval', { interval: 200 });
      await this.#session.post('Profiler.start');
    }
    this.#start = start;
    this.#stalls = [];
    this.#gcEntries = [];
    this.#gc.observe({ entryTypes: ['gc'] });
    this.#loop.reset();
    this.#loop.enable();
    let last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      if (now - last > STALL_MS) this.#stalls.push([last - this.#start, now - last]);
      last = now;
    }, STALL_TICK_MS);
  }

  /** Stops watching; writes the CPU profile as NAME.cpuprofile when profiling. */
  async stop(name: string): Promise<WatchFigures> {
    clearInterval(this.#timer);
    this.#loop.disable();
    this.#gc.disconnect();
    if (this.#session && this.profileDir !== undefined) {
      const { profile } = await this.#session.post('Profiler.stop');
      await this.#session.post('Profiler.disable');
      this.#session.disconnect();
      await mkdir(this.profileDir, { recursive: true });
      await writeFile(join(this.profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
    }
    return {
      loopMaxMs: this.#loop.max / 1e6,
      loopP99Ms: this.#loop.percentile(99) / 1e6,
      stalls: this.#stalls,
      gcCount: this.#gcEntries.length,
      gcMs: sum(this.#gcEntries),
      gcMaxMs: Math.max(0, ...this.#gcEntries),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// The client processes.

export class Fleet {
  readonly #children: ChildProcess[] = [];
  readonly #statsWaiters = new Map<ChildProcess, (stats: FleetClientStats) => void>();
  readonly #onExit = () => this.kill();
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.kill();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  #stopping = false;

  constructor(
    readonly size: number,
    readonly onSettled: (index: number, versions: FleetVersions) => void,
    readonly onError: (error: Error) => void,
  ) {
    process.once('exit', this.#onExit);
    process.once('SIGINT', this.#onSignal);
    process.once('SIGTERM', this.#onSignal);
  }

  /** Forks the client processes and waits until each has loaded. */
  async spawn(timeoutMs: number): Promise<void> {
    const ready: Promise<void>[] = [];
    for (let i = 0; i < this.size; i++) {
      const child = fork(CLIENT, [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      this.#children.push(child);
      ready.push(
        new Promise<void>((resolve, reject) => {
          child.on('message', (message: FromFleetClient) => {
            if (message.type === 'ready') resolve();
            else if (message.type === 'settled') for (const [index, versions] of message.items) this.onSettled(index, versions);
            else if (message.type === 'error') this.onError(new Error(`proxy #${message.index} (client process ${child.pid}): ${message.message}`));
            else if (message.type === 'stats') this.#statsWaiters.get(child)?.(message);
          });
          child.once('exit', (code, signal) => {
            const error = new Error(`client process ${child.pid} exited (${signal ?? `code ${code}`})`);
            reject(error);
            if (!this.#stopping) this.onError(error);
          });
        }),
      );
    }
    await withTimeout(Promise.all(ready), timeoutMs, 'the client processes did not start');
  }

  start(address: string, proxies: readonly FleetProxySpec[]): void {
    this.#children.forEach((child, i) => {
      const share = proxies.filter((p) => p.index % this.size === i);
      child.send({ type: 'start', address, proxies: share } satisfies ToFleetClient);
    });
  }

  /** Sums the client processes' figures. */
  async stats(reset: boolean): Promise<FleetClientStats> {
    const all = await withTimeout(
      Promise.all(
        this.#children.map(
          (child) =>
            new Promise<FleetClientStats>((resolve) => {
              this.#statsWaiters.set(child, resolve);
              child.send({ type: 'stats', reset } satisfies ToFleetClient);
            }),
        ),
      ),
      10_000,
      'the client processes did not answer',
    );
    return {
      rss: sum(all.map((s) => s.rss)),
      heapUsed: sum(all.map((s) => s.heapUsed)),
      cpuUs: sum(all.map((s) => s.cpuUs)),
      responses: sum(all.map((s) => s.responses)),
      requests: sum(all.map((s) => s.requests)),
      bytes: sum(all.map((s) => s.bytes)),
      streamsOpen: sum(all.map((s) => s.streamsOpen)),
      loopMaxMs: Math.max(...all.map((s) => s.loopMaxMs)),
      loopP99Ms: Math.max(...all.map((s) => s.loopP99Ms)),
    };
  }

  /** Asks each client to close its streams and exit; kills the ones still there after 5 s. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        if (child.connected) child.send({ type: 'stop' } satisfies ToFleetClient);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.#release();
  }

  /** Kills every client process still running (synchronous: safe in an 'exit' handler). */
  kill(): void {
    this.#stopping = true;
    for (const child of this.#children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.#release();
  }

  #release(): void {
    process.off('exit', this.#onExit);
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string, label = 'fleet bench'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${label}: ${message} within ${ms / 1000} s`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------------------------

/** Runs the three phases; see the module comment. */
export async function benchFleet(options: FleetBenchOptions = {}): Promise<FleetBenchResult> {
  const proxies = options.proxies ?? 1000;
  const runs = Math.max(1, options.runs ?? 5);
  const processes = Math.max(1, options.processes ?? Math.min(4, Math.max(1, availableParallelism() - 1)));
  const timeoutMs = options.timeoutMs ?? 120_000;
  const log = options.log ?? (() => undefined);
  const replicas = proxies >= REPLICAS && proxies % REPLICAS === 0 ? REPLICAS : 1;
  const services = proxies / replicas;
  if (!Number.isInteger(services) || services < 6) throw new Error(`fleet bench: --proxies must be a whole number ≥ 6 (got ${proxies})`);
  const policies = services;
  const gc = obtainGc();
  const load = { average: loadavg()[0]!, cores: availableParallelism() };

  const base = generateMesh(services, replicas, policies);
  let encode = new EncodeCache();
  const initial = compileRevision(base, encode);
  if (initial.snapshots.size !== proxies) throw new Error(`fleet bench: the mesh has ${initial.snapshots.size} Dataplanes, not ${proxies}`);
  const cache = new SnapshotCache();
  for (const [nodeId, snapshot] of initial.snapshots) cache.set(nodeId, snapshot, { commit: 'c0' });
  const nodeIds = [...initial.snapshots.keys()];
  const specs: FleetProxySpec[] = nodeIds.map((nodeId, index) => ({ index, nodeId, cluster: nodeId.replace(/^default\./, '').replace(/-\d+$/, '') }));

  const tracker = new Tracker((nodeId) => cache.get(nodeId)?.snapshot);
  tracker.expectStreams = proxies;
  let server: AdsServer | undefined;
  const fleet = new Fleet(
    processes,
    (index, versions) => tracker.onSettled(specs[index]!.nodeId, versions),
    (error) => tracker.fail(error),
  );
  const watch = new PhaseWatch(options.profileDir);
  let clientCpuBefore = 0;

  /** The server's fan-out counters, when it keeps some (read structurally: the server is changing). */
  const fanoutCounters = () => {
    const stats = (server?.service as { fanoutStats?: () => { pushes?: number; bursts?: number; timedOut?: number } } | undefined)?.fanoutStats?.();
    return stats && typeof stats.pushes === 'number' ? { pushes: stats.pushes, bursts: stats.bursts ?? 0, timedOut: stats.timedOut ?? 0 } : undefined;
  };
  let fanoutBefore = fanoutCounters();

  /** Ends a phase: its figures. */
  const finish = async (phase: Phase, cpu: NodeJS.CpuUsage, name: string, extra: Partial<FleetPhase>): Promise<FleetPhase> => {
    const cpuUsed = process.cpuUsage(cpu);
    const watched = await watch.stop(name);
    const fanoutAfter = fanoutCounters();
    const fanout =
      fanoutBefore && fanoutAfter
        ? { pushes: fanoutAfter.pushes - fanoutBefore.pushes, bursts: fanoutAfter.bursts - fanoutBefore.bursts, timedOut: fanoutAfter.timedOut - fanoutBefore.timedOut }
        : undefined;
    const client = await fleet.stats(true);
    const latencies = [...phase.latencies].sort((a, b) => a - b);
    const result: FleetPhase = {
      proxies: phase.nodes.size,
      allAckedMs: phase.serverDoneAt! - phase.start,
      clientsConfirmedMs: phase.clientDoneAt! - phase.start,
      latenciesMs: latencies,
      sinceOpenMs: [...phase.sinceOpen].sort((a, b) => a - b),
      firstResponseMs: (phase.firstResponseAt ?? NaN) - phase.start,
      lastResponseMs: (phase.lastResponseAt ?? NaN) - phase.start,
      firstAckMs: (phase.firstAckAt ?? NaN) - phase.start,
      responses: phase.responses,
      responsesByType: Object.fromEntries([...phase.byType].sort()),
      bytes: phase.bytes,
      streamsPushed: phase.pushed.size,
      responsesToOthers: phase.responsesToOthers,
      acks: phase.acks,
      nacks: phase.nacks,
      serverCpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
      ...watched,
      clientCpuMs: (client.cpuUs - clientCpuBefore) / 1000,
      clientLoopMaxMs: client.loopMaxMs,
      ...(fanout && { fanout }),
      ...extra,
    };
    clientCpuBefore = client.cpuUs;
    tracker.end();
    return result;
  };

  /** Compiles `docs`, publishes every snapshot, and waits for the changed proxies to ACK. */
  const update = async (docs: readonly string[], commit: string, name: string, quietMs: number): Promise<FleetPhase> => {
    const next = encode.next();
    const compiled = compileRevision(docs, next);
    encode = next;
    clientCpuBefore = (await fleet.stats(true)).cpuUs;
    await watch.start(performance.now());
    const cpu = process.cpuUsage();
    fanoutBefore = fanoutCounters();
    const setAt = new Map<string, number>();
    const start = performance.now();
    for (const [nodeId, snapshot] of compiled.snapshots) {
      const at = performance.now();
      if (cache.set(nodeId, snapshot, { commit })) setAt.set(nodeId, at);
    }
    const published = performance.now();
    const phase = tracker.begin(setAt.keys(), start, setAt);
    await tracker.wait(phase, timeoutMs, name);
    if (quietMs > 0) await new Promise((resolve) => setTimeout(resolve, quietMs));
    return finish(phase, cpu, name, { compileMs: compiled.ms, publishMs: published - start });
  };

  try {
    server = await startAdsServer({ source: cache, hooks: tracker.hooks });
    log(`  fleet: ${proxies} proxies in ${processes} client process(es) → ${server.address}`);
    await fleet.spawn(60_000);
    clientCpuBefore = (await fleet.stats(true)).cpuUs;
    const memoryBefore = memory(gc);

    // 1. connect
    const connectStart = performance.now();
    await watch.start(connectStart);
    const cpu = process.cpuUsage();
    fanoutBefore = fanoutCounters();
    const connectPhase = tracker.begin(nodeIds, connectStart);
    fleet.start(server.address, specs);
    await tracker.wait(connectPhase, timeoutMs, 'connect');
    const connect = { ...(await finish(connectPhase, cpu, 'connect', {})), allStreamsOpenMs: (tracker.allOpenAt ?? NaN) - connectStart };
    log(`  connect: all ${proxies} ACKed in ${Math.round(connect.allAckedMs)} ms`);

    await new Promise((resolve) => setTimeout(resolve, 500));
    const memoryConnected = memory(gc);
    const clientStats = await fleet.stats(false);
    const readStart = performance.now();
    const states = server.service.proxies();
    const readModel = { ms: performance.now() - readStart, acked: states.filter((p) => p.state === 'Acked').length, total: states.length };

    // 2. every proxy changes
    const updateAll: FleetPhase[] = [];
    for (let r = 1; r <= runs; r++) {
      updateAll.push(await update([...base, updateAllDoc(r)], `all-${r}`, `update-all-${r}`, 0));
      log(`  update all #${r}: ${Math.round(updateAll.at(-1)!.allAckedMs)} ms`);
    }
    // 3. a few proxies change
    const updateFew: FleetPhase[] = [];
    for (let r = 1; r <= runs; r++) {
      updateFew.push(await update([...base, updateAllDoc(runs), updateFewDoc(r, services)], `few-${r}`, `update-few-${r}`, 300));
    }
    const memoryAfterUpdates = memory(gc);

    return {
      proxies,
      services,
      replicas,
      policies,
      processes,
      gc: gc !== undefined,
      load: { ...load, averageAtEnd: loadavg()[0]! },
      initialCompileMs: initial.ms,
      connect,
      memoryBefore,
      memoryConnected,
      memoryAfterUpdates,
      clientMemory: { rss: clientStats.rss, heapUsed: clientStats.heapUsed },
      readModel,
      updateAll,
      updateFew,
    };
  } finally {
    tracker.stopping();
    await fleet.stop().catch(() => fleet.kill());
    await server?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Figures.

/** Nearest-rank percentile of sorted values. */
export function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (xs: readonly number[]) => pct([...xs].sort((a, b) => a - b), 50);
export const worst = (xs: readonly number[]) => Math.max(...xs);
export const ms = (x: number) => (Number.isNaN(x) ? '-' : x >= 100 ? `${Math.round(x)} ms` : `${x.toFixed(1)} ms`);
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
export const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
/** "median X (worst Y)" of a figure over runs. */
const mw = (phases: readonly FleetPhase[], get: (p: FleetPhase) => number) => `${ms(median(phases.map(get)))} (worst ${ms(worst(phases.map(get)))})`;

const stallList = (p: FleetPhase) => {
  const top = p.stalls.length > 6 ? [...p.stalls].sort((a, b) => b[1] - a[1]).slice(0, 6).sort((a, b) => a[0] - b[0]) : p.stalls;
  const text = top.map(([at, length]) => `+${Math.round(at)} ${Math.round(length)}`).join(', ');
  return p.stalls.length > top.length ? `${text} (${p.stalls.length} in all, ${Math.round(sum(p.stalls.map((x) => x[1])))} ms)` : text || 'none';
};
const byType = (p: FleetPhase) => Object.entries(p.responsesByType).map(([type, n]) => `${type} ${n}`).join(', ');

function phaseLines(name: string, phases: readonly FleetPhase[], proxies: number): string[] {
  const first = phases[0]!;
  const responses = phases.map((p) => p.responses);
  return [
    `${name}: ${first.proxies} of ${proxies} proxies change; ${phases.length} run(s), median (worst)`,
    `  compile + snapshot (validate, compile, snapshot, check; all ${proxies}): ${mw(phases, (p) => p.compileMs!)}`,
    `  publish (cache.set ×${proxies}): ${mw(phases, (p) => p.publishMs!)}`,
    `  push → all ACKed (from the first cache.set): ${mw(phases, (p) => p.allAckedMs)}; clients confirmed: ${mw(phases, (p) => p.clientsConfirmedMs)}`,
    `  per proxy cache.set → ACKed: p50 ${mw(phases, (p) => pct(p.latenciesMs, 50))}, p99 ${mw(phases, (p) => pct(p.latenciesMs, 99))}, max ${mw(phases, (p) => pct(p.latenciesMs, 100))}`,
    `  first response ${mw(phases, (p) => p.firstResponseMs)}, last response ${mw(phases, (p) => p.lastResponseMs)} (fan-out span ${mw(phases, (p) => p.lastResponseMs - p.firstResponseMs)}), first ACK ${mw(phases, (p) => p.firstAckMs)}`,
    ...(first.fanout ? [`  server fan-out counters: ${median(phases.map((p) => p.fanout?.pushes ?? 0))} pushes in ${median(phases.map((p) => p.fanout?.bursts ?? 0))} burst(s) per run (median), ${sum(phases.map((p) => p.fanout?.timedOut ?? 0))} timed out`] : []),
    `  responses: ${Math.min(...responses)}–${Math.max(...responses)} per run to ${Math.max(...phases.map((p) => p.streamsPushed))} proxies (${(median(responses) / first.proxies).toFixed(1)} per changed proxy), ${kib(median(phases.map((p) => p.bytes)))} of resources; to unchanged proxies: ${Math.max(...phases.map((p) => p.responsesToOthers))}; NACKs: ${sum(phases.map((p) => p.nacks))}`,
    `  server CPU ${mw(phases, (p) => p.serverCpuMs)} (${median(phases.map((p) => (p.serverCpuMs * 1000) / Math.max(1, p.responses))).toFixed(0)} µs per response); event loop: longest delay ${mw(phases, (p) => p.loopMaxMs)}, p99 delay ${mw(phases, (p) => p.loopP99Ms)}; GC ${mw(phases, (p) => p.gcMs)} (longest pause ${mw(phases, (p) => p.gcMaxMs)})`,
    `  server stalls > ${STALL_MS} ms by run [+at length]: ${phases.map(stallList).join(' | ')}`,
    `  client processes: CPU ${mw(phases, (p) => p.clientCpuMs)}, longest event-loop delay ${mw(phases, (p) => p.clientLoopMaxMs)}`,
    `  runs (push → all ACKed): ${phases.map((p) => Math.round(p.allAckedMs)).join(', ')} ms; responses by type: ${phases.map((p) => byType(p)).join(' | ')}`,
  ];
}

export function formatFleetBench(r: FleetBenchResult): string[] {
  const c = r.connect;
  const per = (a: number, b: number) => kib((b - a) / r.proxies);
  return [
    `mesh: ${r.proxies} proxies (${r.services} services × ${r.replicas}), ${r.policies} policies; initial compile + snapshot ${ms(r.initialCompileMs)}`,
    `machine: ${r.load.cores} cores, 1-min load average ${r.load.average.toFixed(2)} at the start, ${r.load.averageAtEnd.toFixed(2)} at the end (other work on the machine skews every figure)`,
    `fleet: ${r.proxies} proxies in ${r.processes} client process(es), one gRPC connection and one SotW ADS stream each (wildcard LDS/CDS, named EDS/RDS, ACK every response)`,
    `connect: ${r.proxies} streams open in ${ms(c.allStreamsOpenMs)}; every proxy ACKed LDS/CDS/EDS/RDS in ${ms(c.allAckedMs)} (clients confirmed ${ms(c.clientsConfirmedMs)})`,
    `  per proxy start → ACKed: p50 ${ms(pct(c.latenciesMs, 50))}, p99 ${ms(pct(c.latenciesMs, 99))}, max ${ms(pct(c.latenciesMs, 100))}; its stream open (server side) → ACKed: p50 ${ms(pct(c.sinceOpenMs, 50))}, p99 ${ms(pct(c.sinceOpenMs, 99))}, max ${ms(pct(c.sinceOpenMs, 100))}`,
    `  first response ${ms(c.firstResponseMs)}, last ${ms(c.lastResponseMs)}, first ACK ${ms(c.firstAckMs)}`,
    `  responses: ${c.responses} (${(c.responses / r.proxies).toFixed(1)} per proxy: ${byType(c)}), ${kib(c.bytes)} of resources, ${c.acks} ACKs, ${c.nacks} NACKs${c.fanout ? `; server fan-out: ${c.fanout.pushes} pushes in ${c.fanout.bursts} burst(s), ${c.fanout.timedOut} timed out` : ''}`,
    `  server CPU ${ms(c.serverCpuMs)} (${((c.serverCpuMs * 1000) / r.proxies).toFixed(0)} µs per proxy); event loop: longest delay ${ms(c.loopMaxMs)}, p99 delay ${ms(c.loopP99Ms)}; GC ${ms(c.gcMs)} (longest pause ${ms(c.gcMaxMs)}); stalls > ${STALL_MS} ms [+at length]: ${stallList(c)}`,
    `  client processes: CPU ${ms(c.clientCpuMs)}, longest event-loop delay ${ms(c.clientLoopMaxMs)}`,
    `memory per connected proxy (control plane${r.gc ? ', after gc' : ', no gc available'}): rss ${per(r.memoryBefore.rss, r.memoryConnected.rss)}, heap ${per(r.memoryBefore.heapUsed, r.memoryConnected.heapUsed)}, external ${per(r.memoryBefore.external, r.memoryConnected.external)}`,
    `  control plane: before ${mib(r.memoryBefore.rss)} rss / ${mib(r.memoryBefore.heapUsed)} heap (snapshots of ${r.proxies} proxies cached), connected ${mib(r.memoryConnected.rss)} / ${mib(r.memoryConnected.heapUsed)}, after the updates ${mib(r.memoryAfterUpdates.rss)} / ${mib(r.memoryAfterUpdates.heapUsed)}`,
    `  client processes: ${mib(r.clientMemory.rss)} rss (${kib(r.clientMemory.rss / r.proxies)} per proxy)`,
    `read model: service.proxies() over ${r.readModel.total} proxies in ${ms(r.readModel.ms)}, ${r.readModel.acked} Acked`,
    ...phaseLines('update, every proxy (Mesh-wide MeshTimeout)', r.updateAll, r.proxies),
    ...phaseLines('update, one service (MeshTimeout on its Dataplanes)', r.updateFew, r.proxies),
  ];
}

if (process.argv[1]?.endsWith('bench/fleet.ts')) {
  for (const line of formatFleetBench(await benchFleet({ log: console.log }))) console.log(line);
}
