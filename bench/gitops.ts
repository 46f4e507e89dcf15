// Bench: git push → webhook → every one of N simulated proxies ACKed (issue 5, item 9).
//
// The whole GitOps path, over real processes and sockets on 127.0.0.1:
// - a Git server: `git http-backend` behind node HTTP (test/helpers/git-server.ts); the policy
//   repository is a generated mesh (bench/compile.ts's generateMesh: N/10 services × 10 replicas,
//   N/10 policies of every kind), one file per resource, pushed with the git CLI;
// - the control plane: startServing (src/reconcile/serve.ts) following the repository's `main`
//   through a remote mirror in its state dir, polling off, with the admin server's webhook;
// - the fleet: N proxies in separate processes, each a grpc-js SotW ADS stream ACKing like Envoy
//   (bench/fleet.ts's Fleet and Tracker, the server-side "every proxy ACKed its snapshot's
//   versions" measurement).
//
// Each run: a commit that changes every proxy (the Mesh-wide MeshTimeout's values) is made and
// pushed with the git CLI; then a GitHub-style push delivery (X-GitHub-Event: push, signed with
// X-Hub-Signature-256) is POSTed to the admin server's /webhook; the run ends when every proxy
// ACKed, for LDS, CDS, EDS and RDS, the versions of its new snapshot (server side) and its client
// process confirmed them. Then the same with a commit that changes one service (10 proxies).
//
// The timeline of a run is taken in this process, from the webhook POST:
// - the 202 reaching the sender;
// - fetch, commit meta and read, each from its start to its end: the RevisionSource handed to
//   startServing is src/reconcile/sources.ts's remoteSource over a RemoteMirror in the state dir
//   (what startServing builds itself for an http URL), with its three calls timed;
// - the state dir writes: snapshot.json and the applied.jsonl entries, timed by wrapping the two
//   methods of the StateDir instance startServing returns (the reconciler calls them on it);
//   "build" is the gap between the later of meta and read and the snapshot.json write: validate,
//   compile, snapshot and the diff against the cache;
// - publish: the cache's watch listeners (registered on every node before the fleet connects)
//   mark each changed node's cache.set; the reconcile's result (onReconcile) follows the publish;
// - first push, first ACK, last push, every proxy ACKed: the ADS hooks (Tracker);
// - the reconciler's own `live` entry in applied.jsonl (its settle watch polls every 100 ms).
//
// Notes on reading the figures:
// - the git push (git CLI → git http-backend CGI, both child processes) is timed apart; it shares
//   the machine with the rest, but not this process's event loop beyond relaying the HTTP;
// - on a machine with few cores the client processes compete with the control plane for CPU: the
//   load average and the client processes' CPU are printed;
// - --fleet-profile DIR writes a CPU profile of this process per run (gitops-*.cpuprofile).
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger, LogFn } from '../src/core/log.js';
import { kindSlug } from '../src/core/resource.js';
import type { ReconcileResult } from '../src/reconcile/reconciler.js';
import { startServing, type Serving } from '../src/reconcile/serve.js';
import { remoteSource, type RevisionSource } from '../src/reconcile/sources.js';
import type { AppliedEntry } from '../src/reconcile/state-dir.js';
import { signatureHeader } from '../src/reconcile/webhook.js';
import { RemoteMirror, type RemoteFetch } from '../src/source/remote.js';
import { startGitServer, type GitServer, type WorkClone } from '../test/helpers/git-server.js';
import { generateMesh } from './compile.js';
import {
  Fleet,
  median,
  ms,
  kib,
  mib,
  PhaseWatch,
  pct,
  STALL_MS,
  sum,
  Tracker,
  updateAllDoc,
  updateFewDoc,
  withTimeout,
  worst,
  type Phase,
  type WatchFigures,
} from './fleet.js';
import type { FleetProxySpec } from './fleet-protocol.js';

export interface GitopsBenchOptions {
  /** Simulated proxies (Dataplanes), default 1,000. */
  readonly proxies?: number;
  /** Pushes that change every proxy, default 5. */
  readonly runs?: number;
  /** Pushes that change one service (10 proxies), default `runs`. */
  readonly fewRuns?: number;
  /** Client processes the fleet is spread over; default: the cores left beside this one (1 to 4). */
  readonly processes?: number;
  /** Limit of each phase (connect, or one push → all ACKed), default 120 s. */
  readonly timeoutMs?: number;
  /** Writes a CPU profile of this process per run into this folder (gitops-connect.cpuprofile, gitops-all-1.cpuprofile, ...). */
  readonly profileDir?: string;
  readonly log?: (line: string) => void;
}

/** The moments of one run, in ms after the webhook POST (push marks are negative); NaN when not seen. */
export interface GitopsTimeline {
  /** Writing the changed file, git add and git commit (not part of any figure below). */
  readonly commitMs: number;
  /** `git push` (CLI → http-backend receive-pack), its length. */
  readonly gitPushMs: number;
  /** git push start, relative to the webhook POST (negative). */
  readonly pushStart: number;
  /** The 202 reached the sender. */
  readonly answered: number;
  readonly fetchStart: number;
  readonly fetchEnd: number;
  /** The revision's files read from the mirror (the reconciler reads them after or before the meta: each is timed on its own). */
  readonly readStart: number;
  readonly readEnd: number;
  /** The commit's tree, author and subject read. */
  readonly metaStart: number;
  readonly metaEnd: number;
  /** snapshot.json write (temp file, fsync, rename, fsync dir): start, end. */
  readonly saveStart: number;
  readonly saveEnd: number;
  /** The `applied` entry of applied.jsonl (append, fsync): start, end. */
  readonly appendStart: number;
  readonly appendEnd: number;
  /** The first and last cache.set that changed a node (watch listeners). */
  readonly firstSet: number;
  readonly lastSet: number;
  /** The reconcile's result reached onReconcile (after the publish). */
  readonly reconciled: number;
  readonly firstResponse: number;
  readonly firstAck: number;
  readonly lastResponse: number;
  /** Every changed proxy ACKed its snapshot's versions (server side): the headline. */
  readonly allAcked: number;
  /** Every client process confirmed its proxies settled at those versions. */
  readonly clientsConfirmed: number;
  /** The reconciler's `live` entry for the commit appended to applied.jsonl. */
  readonly live: number;
}

export interface GitopsRun {
  readonly name: string;
  readonly commit: string;
  /** Proxies whose snapshot changed (waited for). */
  readonly proxies: number;
  readonly timeline: GitopsTimeline;
  /** The reconciler's own duration of the reconcile (ReconcileResult.ms). */
  readonly reconcileMs: number;
  /** What the mirror's fetch reported. */
  readonly fetch: { readonly ms: number; readonly requests: number; readonly bytesReceived: number; readonly packBytes: number; readonly transferred: boolean };
  readonly files: number;
  /** snapshot.json size after the run. */
  readonly snapshotBytes: number;
  /** Per changed proxy: its cache.set → its last ACK; sorted. */
  readonly latenciesMs: readonly number[];
  readonly responses: number;
  readonly bytes: number;
  readonly responsesToOthers: number;
  readonly nacks: number;
  /** This process's CPU from the webhook POST to every proxy ACKed (control plane + the bench's hooks). */
  readonly serverCpuMs: number;
  readonly clientCpuMs: number;
  readonly clientLoopMaxMs: number;
  readonly watch: WatchFigures;
  /** The reconciler's settle watch: its syncOf calls from the webhook to its live entry, their time in all and the longest. */
  readonly settlePolls: { readonly calls: number; readonly ms: number; readonly maxMs: number };
  readonly fanout?: { readonly pushes: number; readonly bursts: number; readonly timedOut: number };
}

export interface GitopsBenchResult {
  readonly proxies: number;
  readonly services: number;
  readonly replicas: number;
  readonly policies: number;
  readonly files: number;
  readonly repoBytes: number;
  readonly processes: number;
  readonly load: { readonly average: number; readonly cores: number; readonly averageAtEnd: number };
  /** startServing: the first reconcile (shallow clone, read, validate, compile, state dir, publish). */
  readonly startMs: number;
  readonly firstReconcileMs: number;
  readonly connectMs: number;
  /** One ads.service.syncOf(every node id) with the fleet connected: the cost of the first poll of the reconciler's settle watch after a push changing every proxy. */
  readonly proxiesOfMs: number;
  readonly rssAfter: number;
  readonly updateAll: readonly GitopsRun[];
  readonly updateFew: readonly GitopsRun[];
}

const REPLICAS = 10;
const ALL_FILE = 'policies/gitops/mesh-wide-timeout.yaml';
const FEW_FILE = 'policies/gitops/one-service-timeout.yaml';
const LABEL = 'gitops bench';
/** A quiet time between runs (the previous run's late work, GC). */
const QUIET_MS = 300;

/** The repository: one file per resource (mesh.yaml, dataplanes/SERVICE/NAME.yaml, policies/KIND/NAME.yaml). */
function repositoryFiles(services: number, replicas: number, policies: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (const doc of generateMesh(services, replicas, policies)) {
    const type = /^type: (\S+)$/m.exec(doc)?.[1];
    const name = /^name: (\S+)$/m.exec(doc)?.[1];
    if (type === undefined || name === undefined) throw new Error(`${LABEL}: a generated document has no type or name:\n${doc}`);
    const path = type === 'Mesh' ? `mesh.yaml` : type === 'Dataplane' ? `dataplanes/${name.replace(/-\d+$/, '')}/${name}.yaml` : `policies/${kindSlug(type)}/${name}.yaml`;
    if (files[path] !== undefined) throw new Error(`${LABEL}: two generated documents at ${path}`);
    files[path] = doc;
  }
  files[ALL_FILE] = updateAllDoc(0);
  files[FEW_FILE] = updateFewDoc(0, services);
  return files;
}

/** A Logger that hands every line to `onLine` (level, message, fields). */
function recordingLogger(onLine: (level: string, message: string, fields: Record<string, unknown>) => void): Logger {
  const fn =
    (level: string): LogFn =>
    ((a: object | string, b?: string) => {
      if (typeof a === 'string') onLine(level, a, {});
      else onLine(level, b ?? '', a as Record<string, unknown>);
    }) as LogFn;
  const logger: Logger = { trace: fn('trace'), debug: fn('debug'), info: fn('info'), warn: fn('warn'), error: fn('error'), fatal: fn('fatal'), child: () => logger };
  return logger;
}

/** POSTs a signed GitHub push delivery; resolves with the status when the answer's head arrived. */
function postWebhook(address: string, secret: string, ref: string, after: string, timeoutMs: number): Promise<{ status: number; at: number; body: Promise<string> }> {
  const body = JSON.stringify({ ref, after, repository: { full_name: 'bench/policies' } });
  return new Promise((resolve, reject) => {
    const req = request(
      `http://${address}/webhook`,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signatureHeader(secret, body),
        },
      },
      (res) => {
        const at = performance.now();
        const chunks: Buffer[] = [];
        const text = new Promise<string>((done) => {
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
          res.on('error', () => done(Buffer.concat(chunks).toString('utf8')));
        });
        resolve({ status: res.statusCode ?? 0, at, body: text });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${LABEL}: the webhook did not answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** What one run collects while it goes. */
interface RunState {
  readonly name: string;
  readonly expected: ReadonlySet<string>;
  readonly setAt: Map<string, number>;
  readonly marks: Map<string, number>;
  commit: string | undefined;
  fetched: RemoteFetch | undefined;
  files: number;
  result: ReconcileResult | undefined;
  resultWake: (() => void) | undefined;
  liveWake: (() => void) | undefined;
  readonly problems: string[];
  /** ads.service.syncOf calls (the reconciler's settle watch) during the run. */
  readonly polls: { calls: number; ms: number; maxMs: number };
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** Runs the bench; see the module comment. */
export async function benchGitops(options: GitopsBenchOptions = {}): Promise<GitopsBenchResult> {
  const proxies = options.proxies ?? 1000;
  const runs = Math.max(1, options.runs ?? 5);
  const fewRuns = Math.max(0, options.fewRuns ?? runs);
  const processes = Math.max(1, options.processes ?? Math.min(4, Math.max(1, availableParallelism() - 1)));
  const timeoutMs = options.timeoutMs ?? 120_000;
  const log = options.log ?? (() => undefined);
  const replicas = proxies >= REPLICAS && proxies % REPLICAS === 0 ? REPLICAS : 1;
  const services = proxies / replicas;
  if (!Number.isInteger(services) || services < 6) throw new Error(`${LABEL}: --proxies must be a whole number ≥ 6 (got ${proxies})`);
  const policies = services;
  const load = { average: loadavg()[0]!, cores: availableParallelism() };
  const secret = randomBytes(20).toString('hex');

  // Temp dirs and client processes go whatever happens: on return, on a throw, on exit, and on Ctrl-C or SIGTERM.
  const temps: string[] = [];
  let fleet: Fleet | undefined;
  const removeTemps = () => {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    fleet?.kill();
    removeTemps();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', removeTemps);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let gitServer: GitServer | undefined;
  let serving: Serving | undefined;
  let current: RunState | undefined;
  const tracker = new Tracker((nodeId) => (current && !current.setAt.has(nodeId) ? undefined : serving?.cache.get(nodeId)?.snapshot), LABEL);
  const mark = (name: string, at = performance.now()) => {
    if (current && !current.marks.has(name)) current.marks.set(name, at);
  };
  const problem = (text: string) => {
    if (!current) return;
    current.problems.push(text);
    tracker.fail(new Error(text));
  };

  try {
    // The repository.
    gitServer = await startGitServer();
    temps.push(dirname(gitServer.root));
    const work: WorkClone = await gitServer.createRepo('policies');
    const files = repositoryFiles(services, replicas, policies);
    const repoBytes = sum(Object.values(files).map((text) => Buffer.byteLength(text)));
    await work.commit(files, 'the generated mesh');
    await work.push();
    log(`  repository: ${Object.keys(files).length} files (${kib(repoBytes)}) at ${work.url} (temp dir ${dirname(gitServer.root)}, removed at the end)`);

    // The control plane, following the repository through a mirror in its state dir.
    const stateDir = await mkdtemp(join(tmpdir(), 'gitmesh-bench-gitops-'));
    temps.push(stateDir);
    const mirror = new RemoteMirror({ url: work.url, gitdir: join(stateDir, 'mirror.git'), ref: 'main' });
    const plain = remoteSource(mirror);
    const source: RevisionSource = {
      ...plain,
      fetch: async (cache) => {
        mark('fetchStart');
        const fetched = await mirror.fetch({ cache });
        mark('fetchEnd');
        if (current) current.fetched = fetched;
        return fetched.commit;
      },
      read: async (commit, cache) => {
        mark('readStart');
        const revision = await plain.read(commit, cache);
        mark('readEnd');
        if (current) current.files = revision.files.length;
        return revision;
      },
      meta: async (commit, cache) => {
        mark('metaStart');
        const meta = await plain.meta!(commit, cache);
        mark('metaEnd');
        return meta;
      },
    };
    const logger = recordingLogger((level, message, fields) => {
      if (level === 'error' || level === 'fatal') problem(`the control plane logged an error: ${message} ${JSON.stringify(fields)}`);
      else if (level === 'warn' && current) current.problems.push(`warning: ${message} ${JSON.stringify(fields)}`);
    });
    const onReconcile = (result: ReconcileResult) => {
      if (!current || result.trigger === 'start') return;
      mark('reconciled');
      if (current.result) {
        problem(`a second reconcile ran during ${current.name} (trigger ${result.trigger}, outcome ${result.outcome})`);
        return;
      }
      current.result = result;
      if (result.outcome !== 'applied') {
        const why = result.error ? `${result.error.code}: ${result.error.message}` : result.diagnostics.slice(0, 3).map((d) => `${d.code} ${d.file ?? ''}:${d.line} ${d.message}`).join('; ');
        problem(`the reconcile of ${current.commit?.slice(0, 12) ?? '?'} was ${result.outcome}, not applied: ${why}`);
      }
      current.resultWake?.();
    };

    const startBegin = performance.now();
    serving = await startServing({
      repo: work.url,
      ref: 'main',
      source,
      stateDir,
      xdsPort: 0,
      host: '127.0.0.1',
      httpPort: 0,
      pollMs: 0,
      webhookSecret: secret,
      log: logger,
      onReconcile,
      ads: { hooks: tracker.hooks },
    });
    const startMs = performance.now() - startBegin;
    const first = serving.first;
    if (first.outcome !== 'applied') {
      const why = first.error ? `${first.error.code}: ${first.error.message}` : first.diagnostics.slice(0, 3).map((d) => `${d.code} ${d.message}`).join('; ');
      throw new Error(`${LABEL}: the first reconcile was ${first.outcome}: ${why}`);
    }
    const nodeIds = serving.cache.nodeIds();
    if (nodeIds.length !== proxies) throw new Error(`${LABEL}: the repository compiles to ${nodeIds.length} proxies, not ${proxies}`);
    log(`  control plane: ADS ${serving.address}, admin ${serving.admin!.address}, state dir ${stateDir}; first reconcile ${ms(first.ms)} (startServing ${ms(startMs)})`);

    // Instruments: the state dir's two writes, and every node's cache.set.
    const state = serving.stateDir!;
    const saveSnapshot = state.saveSnapshot.bind(state);
    state.saveSnapshot = async (input) => {
      mark('saveStart');
      await saveSnapshot(input);
      mark('saveEnd');
    };
    const append = state.append.bind(state);
    state.append = async (entry: AppliedEntry) => {
      const key = entry.event === 'applied' ? 'append' : entry.event === 'live' && entry.commit === current?.commit ? 'live' : undefined;
      if (key === 'append') mark('appendStart');
      await append(entry);
      if (key) mark(key === 'append' ? 'appendEnd' : 'live');
      if (entry.event === 'live' && current && entry.commit === current.commit) {
        if (entry.acked !== current.expected.size) current.problems.push(`the live entry counts ${entry.acked} acked of ${current.expected.size} (nacked ${entry.nacked}, pending ${entry.pending}, disconnected ${entry.disconnected})`);
        current.liveWake?.();
      }
    };
    // The reconciler's settle watch reads ads.service.syncOf (a method call on this instance): timed per run.
    const service = serving.ads.service;
    const syncOf = service.syncOf.bind(service);
    service.syncOf = (ids) => {
      const t0 = performance.now();
      try {
        return syncOf(ids);
      } finally {
        const took = performance.now() - t0;
        if (current) {
          current.polls.calls++;
          current.polls.ms += took;
          current.polls.maxMs = Math.max(current.polls.maxMs, took);
        }
      }
    };
    for (const nodeId of nodeIds) {
      serving.cache.watch(nodeId, () => {
        if (current && !current.setAt.has(nodeId)) current.setAt.set(nodeId, performance.now());
      });
    }

    // The fleet.
    const specs: FleetProxySpec[] = nodeIds.map((nodeId, index) => ({ index, nodeId, cluster: nodeId.replace(/^default\./, '').replace(/-\d+$/, '') }));
    tracker.expectStreams = proxies;
    fleet = new Fleet(
      processes,
      (index, versions) => tracker.onSettled(specs[index]!.nodeId, versions),
      (error) => tracker.fail(error),
    );
    const watch = new PhaseWatch(options.profileDir);
    await fleet.spawn(60_000);
    const connectStart = performance.now();
    await watch.start(connectStart);
    const connectPhase = tracker.begin(nodeIds, connectStart);
    fleet.start(serving.address, specs);
    await tracker.wait(connectPhase, timeoutMs, 'connect');
    await watch.stop('gitops-connect');
    tracker.end();
    const connectMs = (connectPhase.serverDoneAt ?? NaN) - connectStart;
    log(`  fleet: ${proxies} proxies in ${processes} client process(es) connected and ACKed in ${ms(connectMs)}`);
    await sleep(QUIET_MS);
    // What one poll of the reconciler's settle watch costs over the whole fleet (it polls syncOf(pending) every 100 ms until all ACKed).
    const pollTimes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      const sync = serving.ads.service.syncOf(nodeIds);
      pollTimes.push(performance.now() - t0);
      const synced = [...sync.values()].filter((p) => p.state === 'synced').length;
      if (sync.size !== proxies || synced !== proxies) throw new Error(`${LABEL}: after the connect phase, ${synced} of ${proxies} proxies read synced`);
    }
    const proxiesOfMs = median(pollTimes);

    const fanoutCounters = () => serving!.ads.service.fanoutStats();
    const activeFleet = fleet;
    const activeServing = serving;

    /** One push: commit `file`, push it, POST the webhook, wait for the `expected` proxies to ACK. */
    const push = async (name: string, file: string, text: string, expected: readonly string[]): Promise<GitopsRun> => {
      const run: RunState = {
        name,
        expected: new Set(expected),
        setAt: new Map(),
        marks: new Map(),
        commit: undefined,
        fetched: undefined,
        files: 0,
        result: undefined,
        resultWake: undefined,
        liveWake: undefined,
        problems: [],
        polls: { calls: 0, ms: 0, maxMs: 0 },
      };
      const commitStart = performance.now();
      const sha = await withTimeout(work.commit({ [file]: text }, `bench: ${name}`), 60_000, `git commit (${name}) did not finish`, LABEL);
      const pushStart = performance.now();
      await withTimeout(work.push(), 60_000, `git push (${name}) did not finish`, LABEL);
      const pushEnd = performance.now();
      run.commit = sha;

      const clientCpuBefore = (await activeFleet.stats(true)).cpuUs;
      const fanoutBefore = fanoutCounters();
      // The watch (and the profiler, when asked) starts first: its own start is not part of the run.
      const watchStart = performance.now();
      await watch.start(watchStart);
      current = run;
      const cpu = process.cpuUsage();
      const webhookAt = performance.now();
      const phase: Phase = tracker.begin(expected, webhookAt, run.setAt);
      const resulted = new Promise<void>((resolve) => (run.resultWake = resolve));
      const lived = new Promise<void>((resolve) => (run.liveWake = resolve));
      try {
        const answer = await postWebhook(activeServing.admin!.address, secret, 'refs/heads/main', sha, 10_000);
        mark('answered', answer.at);
        if (answer.status !== 202) throw new Error(`${LABEL} (${name}): the webhook answered ${answer.status}, not 202: ${await answer.body}`);
        await tracker.wait(phase, timeoutMs, name);
        const cpuUsed = process.cpuUsage(cpu);
        const stopped = await watch.stop(`gitops-${name}`);
        const watched: WatchFigures = { ...stopped, stalls: stopped.stalls.map(([when, length]) => [when - (webhookAt - watchStart), length] as const) };
        await withTimeout(resulted, timeoutMs, `the reconcile of ${name} did not report`, LABEL);
        const result = run.result!;
        if (result.commit !== sha) throw new Error(`${LABEL} (${name}): the reconcile applied ${result.commit}, not the commit pushed (${sha})`);
        const changed = [...result.changed].sort();
        const want = [...run.expected].sort();
        if (changed.length !== want.length || changed.some((id, i) => id !== want[i])) {
          throw new Error(`${LABEL} (${name}): the commit changed ${changed.length} proxies, not the ${want.length} expected (e.g. ${changed.filter((id) => !run.expected.has(id)).slice(0, 3).join(', ') || want.filter((id) => !changed.includes(id)).slice(0, 3).join(', ')})`);
        }
        // The reconciler's own `live` entry (its settle watch polls every 100 ms; it gives up after 30 s).
        await withTimeout(lived, 40_000, `the reconciler wrote no live entry for ${name}`, LABEL);
        const client = await activeFleet.stats(true);
        const fanoutAfter = fanoutCounters();
        const at = (key: string) => (run.marks.get(key) ?? NaN) - webhookAt;
        const sets = [...run.setAt.values()];
        const timeline: GitopsTimeline = {
          commitMs: pushStart - commitStart,
          gitPushMs: pushEnd - pushStart,
          pushStart: pushStart - webhookAt,
          answered: at('answered'),
          fetchStart: at('fetchStart'),
          fetchEnd: at('fetchEnd'),
          readStart: at('readStart'),
          readEnd: at('readEnd'),
          metaStart: at('metaStart'),
          metaEnd: at('metaEnd'),
          saveStart: at('saveStart'),
          saveEnd: at('saveEnd'),
          appendStart: at('appendStart'),
          appendEnd: at('appendEnd'),
          firstSet: Math.min(...sets) - webhookAt,
          lastSet: Math.max(...sets) - webhookAt,
          reconciled: at('reconciled'),
          firstResponse: (phase.firstResponseAt ?? NaN) - webhookAt,
          firstAck: (phase.firstAckAt ?? NaN) - webhookAt,
          lastResponse: (phase.lastResponseAt ?? NaN) - webhookAt,
          allAcked: (phase.serverDoneAt ?? NaN) - webhookAt,
          clientsConfirmed: (phase.clientDoneAt ?? NaN) - webhookAt,
          live: at('live'),
        };
        const fetched = run.fetched;
        for (const line of run.problems) log(`  ${name}: ${line}`);
        return {
          name,
          commit: sha,
          proxies: expected.length,
          timeline,
          reconcileMs: result.ms,
          fetch: fetched
            ? { ms: fetched.ms, requests: fetched.requests, bytesReceived: fetched.bytesReceived, packBytes: fetched.packBytes, transferred: fetched.transferred }
            : { ms: NaN, requests: 0, bytesReceived: 0, packBytes: 0, transferred: false },
          files: run.files,
          snapshotBytes: await fileSize(state.snapshotPath),
          latenciesMs: [...phase.latencies].sort((a, b) => a - b),
          responses: phase.responses,
          bytes: phase.bytes,
          responsesToOthers: phase.responsesToOthers,
          nacks: phase.nacks,
          serverCpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
          clientCpuMs: (client.cpuUs - clientCpuBefore) / 1000,
          clientLoopMaxMs: client.loopMaxMs,
          watch: watched,
          settlePolls: { ...run.polls },
          fanout: { pushes: fanoutAfter.pushes - fanoutBefore.pushes, bursts: fanoutAfter.bursts - fanoutBefore.bursts, timedOut: fanoutAfter.timedOut - fanoutBefore.timedOut },
        };
      } catch (error) {
        await watch.stop(`gitops-${name}-failed`).catch(() => undefined);
        const detail = run.problems.length > 0 ? `\n  seen during the run: ${run.problems.join('\n  ')}` : '';
        const marks = [...run.marks].map(([key, value]) => `${key} +${Math.round(value - webhookAt)}`).join(', ');
        (error as Error).message += `${detail}\n  timeline: ${marks || 'nothing after the webhook'}`;
        throw error;
      } finally {
        tracker.end();
        current = undefined;
      }
    };

    const updateAll: GitopsRun[] = [];
    for (let r = 1; r <= runs; r++) {
      updateAll.push(await push(`all-${r}`, ALL_FILE, updateAllDoc(r), nodeIds));
      const t = updateAll.at(-1)!.timeline;
      log(`  push #${r}, every proxy: webhook → all ACKed ${ms(t.allAcked)} (git push start → all ACKed ${ms(t.allAcked - t.pushStart)})`);
      await sleep(QUIET_MS);
    }
    const fewNodes = nodeIds.filter((id) => id.startsWith(`default.svc-${String(3).padStart(4, '0')}-`));
    const updateFew: GitopsRun[] = [];
    for (let r = 1; r <= fewRuns; r++) {
      updateFew.push(await push(`few-${r}`, FEW_FILE, updateFewDoc(r, services), fewNodes));
      const t = updateFew.at(-1)!.timeline;
      log(`  push #${r}, one service: webhook → all ACKed ${ms(t.allAcked)}`);
      await sleep(QUIET_MS);
    }

    return {
      proxies,
      services,
      replicas,
      policies,
      files: Object.keys(files).length,
      repoBytes,
      processes,
      load: { ...load, averageAtEnd: loadavg()[0]! },
      startMs,
      firstReconcileMs: first.ms,
      connectMs,
      proxiesOfMs,
      rssAfter: process.memoryUsage().rss,
      updateAll,
      updateFew,
    };
  } finally {
    tracker.stopping();
    await fleet?.stop().catch(() => fleet?.kill());
    await serving?.close().catch(() => undefined);
    await gitServer?.close().catch(() => undefined);
    for (const dir of temps) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    process.off('exit', removeTemps);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function fileSize(path: string): Promise<number> {
  return (await stat(path).catch(() => ({ size: NaN }))).size;
}

// ---------------------------------------------------------------------------------------------
// Figures.

/** "median (worst W)" over runs. */
const mw = (runs: readonly GitopsRun[], get: (r: GitopsRun) => number) => {
  const values = runs.map(get).filter((x) => !Number.isNaN(x));
  return values.length === 0 ? '-' : `${ms(median(values))} (worst ${ms(worst(values))})`;
};
/** The later of the read and the meta (whichever the reconciler does last). */
const readDone = (x: GitopsTimeline) => Math.max(x.readEnd, x.metaEnd);
const at = (x: number) => (Number.isNaN(x) ? '-' : `+${x >= 100 ? Math.round(x) : x.toFixed(1)}`);
/** "+median (worst +W)" of a moment. */
const mwAt = (runs: readonly GitopsRun[], get: (t: GitopsTimeline) => number) => {
  const values = runs.map((r) => get(r.timeline)).filter((x) => !Number.isNaN(x));
  return values.length === 0 ? '-' : `${at(median(values))} (worst ${at(worst(values))})`;
};

function runLines(title: string, runs: readonly GitopsRun[], total: number): string[] {
  if (runs.length === 0) return [];
  const t = (get: (t: GitopsTimeline) => number) => (r: GitopsRun) => get(r.timeline);
  const share = (get: (t: GitopsTimeline) => number) => `${Math.round((100 * median(runs.map((r) => get(r.timeline)))) / median(runs.map((r) => r.timeline.allAcked)))} %`;
  const first = runs[0]!;
  const responses = runs.map((r) => r.responses);
  const stalls = (r: GitopsRun) => {
    const list = [...r.watch.stalls].sort((a, b) => b[1] - a[1]).slice(0, 4).sort((a, b) => a[0] - b[0]);
    const text = list.map(([when, length]) => `+${Math.round(when)} ${Math.round(length)}`).join(', ') || 'none';
    return r.watch.stalls.length > list.length ? `${text} (${r.watch.stalls.length} in all, ${Math.round(sum(r.watch.stalls.map((s) => s[1])))} ms)` : text;
  };
  return [
    `${title}: ${first.proxies} of ${total} proxies change; ${runs.length} push(es), median (worst)`,
    `  webhook POST → every proxy ACKed: ${mw(runs, t((x) => x.allAcked))}; clients confirmed ${mw(runs, t((x) => x.clientsConfirmed))}`,
    `  git push start → every proxy ACKed: ${mw(runs, t((x) => x.allAcked - x.pushStart))}  (git push itself ${mw(runs, t((x) => x.gitPushMs))}; git commit before it, not counted, ${mw(runs, t((x) => x.commitMs))})`,
    `  timeline from the webhook POST, ms (median (worst) of when each step ended):`,
    `    202 answered ${mwAt(runs, (x) => x.answered)}`,
    `    fetch ${mwAt(runs, (x) => x.fetchStart)} → ${mwAt(runs, (x) => x.fetchEnd)}: ${mw(runs, t((x) => x.fetchEnd - x.fetchStart))} (${median(runs.map((r) => r.fetch.requests))} HTTP requests, ${kib(median(runs.map((r) => r.fetch.bytesReceived)))} received, pack ${kib(median(runs.map((r) => r.fetch.packBytes)))})`,
    `    commit meta (tree, author) ${mw(runs, t((x) => x.metaEnd - x.metaStart))}; read ${first.files} files from the mirror ${mw(runs, t((x) => x.readEnd - x.readStart))} → ${mwAt(runs, readDone)}`,
    `    build (validate + compile + snapshot + diff) → ${mwAt(runs, (x) => x.saveStart)}: ${mw(runs, t((x) => x.saveStart - readDone(x)))}`,
    `    state dir: snapshot.json (${kib(median(runs.map((r) => r.snapshotBytes)))}, write + fsync + rename) ${mw(runs, t((x) => x.saveEnd - x.saveStart))}, applied.jsonl entry ${mw(runs, t((x) => x.appendEnd - x.appendStart))} → ${mwAt(runs, (x) => x.appendEnd)}`,
    `    publish (cache.set ×${total}; changed nodes set ${mwAt(runs, (x) => x.firstSet)} … ${mwAt(runs, (x) => x.lastSet)}) → reconcile returned ${mwAt(runs, (x) => x.reconciled)}: ${mw(runs, t((x) => x.reconciled - x.appendEnd))}; the reconciler's own reconcile time ${mw(runs, (r) => r.reconcileMs)}`,
    `    first push ${mwAt(runs, (x) => x.firstResponse)} (${mw(runs, t((x) => x.firstResponse - x.reconciled))} after the publish: debounce), first ACK ${mwAt(runs, (x) => x.firstAck)}, last push ${mwAt(runs, (x) => x.lastResponse)} (fan-out span ${mw(runs, t((x) => x.lastResponse - x.firstResponse))})`,
    `    every proxy ACKed ${mwAt(runs, (x) => x.allAcked)} (${mw(runs, t((x) => x.allAcked - x.lastResponse))} after the last push); the reconciler's live entry ${mwAt(runs, (x) => x.live)}`,
    `  where the time goes (medians, share of webhook → all ACKed): webhook → fetch start ${share((x) => x.fetchStart)}, fetch ${share((x) => x.fetchEnd - x.fetchStart)}, meta + read ${share((x) => readDone(x) - x.fetchEnd)}, build ${share((x) => x.saveStart - readDone(x))}, state dir ${share((x) => x.appendEnd - x.saveStart)}, publish ${share((x) => x.reconciled - x.appendEnd)}, push → all ACKed ${share((x) => x.allAcked - x.reconciled)}`,
    `  per proxy cache.set → ACKed: p50 ${mw(runs, (r) => pct(r.latenciesMs, 50))}, p99 ${mw(runs, (r) => pct(r.latenciesMs, 99))}, max ${mw(runs, (r) => pct(r.latenciesMs, 100))}`,
    `  responses: ${Math.min(...responses)}–${Math.max(...responses)} per push (${(median(responses) / first.proxies).toFixed(1)} per changed proxy), ${kib(median(runs.map((r) => r.bytes)))} of resources; to unchanged proxies: ${Math.max(...runs.map((r) => r.responsesToOthers))}; NACKs: ${sum(runs.map((r) => r.nacks))}${first.fanout ? `; server fan-out: ${median(runs.map((r) => r.fanout?.pushes ?? 0))} pushes in ${median(runs.map((r) => r.fanout?.bursts ?? 0))} burst(s), ${sum(runs.map((r) => r.fanout?.timedOut ?? 0))} timed out` : ''}`,
    `  control plane (webhook → all ACKed): CPU ${mw(runs, (r) => r.serverCpuMs)}; event loop longest delay ${mw(runs, (r) => r.watch.loopMaxMs)}, p99 ${mw(runs, (r) => r.watch.loopP99Ms)}; GC ${mw(runs, (r) => r.watch.gcMs)} (longest pause ${mw(runs, (r) => r.watch.gcMaxMs)})`,
    `  stalls > ${STALL_MS} ms by push [+at length]: ${runs.map(stalls).join(' | ')}`,
    `  settle watch (syncOf(pending) every 100 ms, webhook → live entry): ${median(runs.map((r) => r.settlePolls.calls))} calls taking ${mw(runs, (r) => r.settlePolls.ms)} in all, longest call ${mw(runs, (r) => r.settlePolls.maxMs)}`,
    `  client processes: CPU ${mw(runs, (r) => r.clientCpuMs)}, longest event-loop delay ${mw(runs, (r) => r.clientLoopMaxMs)}`,
    `  pushes (webhook → all ACKed): ${runs.map((r) => Math.round(r.timeline.allAcked)).join(', ')} ms`,
  ];
}

export function formatGitopsBench(r: GitopsBenchResult): string[] {
  return [
    `repository: ${r.files} files (${kib(r.repoBytes)}): ${r.proxies} Dataplanes (${r.services} services × ${r.replicas}), ${r.policies} policies + 2 MeshTimeouts the pushes change; served by git http-backend on 127.0.0.1, pushed with the git CLI`,
    `control plane: startServing over a remote mirror in the state dir, webhook on the admin port, no polling; fleet: ${r.proxies} proxies in ${r.processes} client process(es), SotW ADS, ACKing like Envoy`,
    `machine: ${r.load.cores} cores, 1-min load average ${r.load.average.toFixed(2)} at the start, ${r.load.averageAtEnd.toFixed(2)} at the end (other work on the machine skews every figure)`,
    `start: first reconcile (shallow clone, read, validate, compile, state dir, publish) ${ms(r.firstReconcileMs)}; fleet connected and ACKed in ${ms(r.connectMs)}; control plane rss at the end ${mib(r.rssAfter)}`,
    `settle watch: one syncOf() over ${r.proxies} connected proxies takes ${ms(r.proxiesOfMs)} (the reconciler polls the proxies still pending every 100 ms from the publish until they ACKed; its first poll is inside "publish" below)`,
    ...runLines('push changing every proxy (Mesh-wide MeshTimeout)', r.updateAll, r.proxies),
    ...runLines('push changing one service (MeshTimeout on its Dataplanes)', r.updateFew, r.proxies),
  ];
}

if (process.argv[1]?.endsWith('bench/gitops.ts')) {
  for (const line of formatGitopsBench(await benchGitops({ log: console.log }))) console.log(line);
}
