// startServing: the reconciler, its triggers (poll, file watch), the ADS server and the state dir, wired together.
//
// Start order (DESIGN.md §7): the ADS port opens, the state dir's last good snapshot is served
// (same versions as before the restart; a client that connects in between waits, its held versions
// kept until compared), then the first fetch runs. A source that is invalid or unreachable at
// start leaves gitmesh running and not ready: it serves what it has (maybe nothing) and picks up
// the next good commit.
import { watch, type FSWatcher } from 'chokidar';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { GitmeshError } from '../core/errors.js';
import { isGitRepository } from '../source/git.js';
import { startAdsServer, type AdsServer, type StartAdsServerOptions } from '../xds/ads/server.js';
import { SnapshotCache } from '../xds/cache.js';
import { noopLogger, type Logger } from '../core/log.js';
import { adminModel, startAdminServer, type AdminServer } from './admin.js';
import { Metrics } from './metrics.js';
import type { TrustedKeys } from '../source/signatures.js';
import { Reconciler, type ReconcileResult, type Rollback, type StatusJson } from './reconciler.js';
import { sourceFor, type RevisionSource } from './sources.js';
import { StateDir } from './state-dir.js';

/** A reload found errors in the source (or it compiles to an inconsistent snapshot); nothing of it was served. */
export class ServeValidationError extends GitmeshError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(message: string, diagnostics: readonly Diagnostic[], data: Record<string, unknown> = {}) {
    super('ServeValidation', message, { ...data, errors: diagnostics.length });
    this.diagnostics = diagnostics;
  }
}

export interface ServeOptions {
  /** An http(s) URL (mirrored into the state dir), a local git repository, or a policy folder; ignored when `source` is given. */
  readonly repo: string;
  /** A token for an http(s) repo (GITMESH_GIT_TOKEN). */
  readonly gitToken?: string;
  readonly ref?: string;
  readonly path?: string;
  /** Resolves a relative `repo` (default process.cwd()). */
  readonly cwd?: string;
  /** The source to follow instead of `repo` (a remote mirror, a test double of the interface). */
  readonly source?: RevisionSource;
  /** The ADS port; 0 picks a free one. */
  readonly xdsPort: number;
  /** The address the ADS server binds (e.g. 127.0.0.1 or 0.0.0.0). */
  readonly host: string;
  /** Keeps the applied log and the last good snapshot; restored at start. */
  readonly stateDir?: string;
  /** Fetch every so often (ms); 0 or undefined: no polling. */
  readonly pollMs?: number;
  /** Watch a local source's files (a folder) or refs (a git repository) and reconcile on change (default false; the CLI turns it on). */
  readonly watch?: boolean;
  readonly log?: Logger;
  /** The admin HTTP port (health, metrics, status, webhook); undefined: no admin server. */
  readonly httpPort?: number;
  /** The address the admin server binds (default `host`). */
  readonly httpHost?: string;
  /** The webhook secret; without one, POST /webhook answers 404. */
  readonly webhookSecret?: string;
  /** ADS hooks, fan-out and limits. */
  readonly ads?: Omit<StartAdsServerOptions, 'source' | 'host' | 'port'>;
  /** Proxies that must NACK a revision before it is rolled back (default 1; 0: never roll back). */
  readonly nackThreshold?: number;
  /** After a NACK rollback, also write (and push) a commit restoring the revision served, so git stays the truth. */
  readonly rollbackCommit?: boolean;
  /** Refuse commits not signed by one of these keys (--verify-signatures --trusted-keys). */
  readonly trustedKeys?: TrustedKeys;
  /** Called after every reconcile. */
  readonly onReconcile?: (result: ReconcileResult) => void;
}

/** What the last reconcile that served something published (the first `serve`'s shape). */
export type PublishResult = Pick<ReconcileResult, 'commit' | 'proxies' | 'proxyless' | 'changed' | 'removed'> & {
  /** Warnings of the revision (they never block it). */
  readonly warnings: readonly Diagnostic[];
};

export interface Serving {
  /** The bound ADS port. */
  readonly port: number;
  /** `host:port` as a client dials it. */
  readonly address: string;
  readonly cache: SnapshotCache;
  readonly ads: AdsServer;
  readonly reconciler: Reconciler;
  readonly metrics: Metrics;
  /** The admin HTTP server, when `httpPort` was given. */
  readonly admin: AdminServer | undefined;
  /** The state dir, when one is kept. */
  readonly stateDir: StateDir | undefined;
  /** What the last applied (or unchanged) reconcile published. */
  readonly current: PublishResult;
  /** The result of the first reconcile (it may have failed or been rejected: gitmesh keeps running). */
  readonly first: ReconcileResult;
  status(): StatusJson;
  /**
   * Reconciles now. Throws ServeValidationError when the revision has errors (the served
   * snapshots stay as they were) and the source's error when it cannot be read. Calls coalesce.
   */
  reload(): Promise<PublishResult>;
  /** Stops triggers, the ADS server and the reconciler. Idempotent. */
  close(): Promise<void>;
}

function publishResult(result: ReconcileResult): PublishResult {
  return { commit: result.commit, proxies: result.proxies, proxyless: result.proxyless, changed: result.changed, removed: result.removed, warnings: result.diagnostics };
}

/** Writes (and, for a remote, pushes) a commit whose tree is the revision served after a NACK rollback; the next fetch sees it as a revert. */
async function commitRollback(options: ServeOptions, rollback: Rollback, log: Logger): Promise<void> {
  if (rollback.to === null) return; // a folder has no commits to write
  const { rollbackBranch } = await import('../source/write.js');
  const branch = options.ref !== undefined && options.ref !== 'HEAD' && !/^[0-9a-f]{7,40}$/i.test(options.ref) ? options.ref : 'main';
  const written = await rollbackBranch({
    repo: options.repo,
    to: rollback.to,
    branch,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    env: { ...process.env, ...(options.gitToken !== undefined && { GITMESH_GIT_TOKEN: options.gitToken }) },
  });
  log.warn({ commit: written.commit, branch, to: rollback.to, undone: rollback.commit }, written.outcome === 'created' ? 'rollback commit written: git matches what is served' : 'the branch already holds the served tree');
}

/** Watches a local folder's files, or a local repository's refs, and calls `onChange` once per burst. */
function watchLocal(dir: string, onChange: () => void): FSWatcher {
  const gitdir = existsSync(join(dir, '.git')) ? join(dir, '.git') : dir;
  const paths = isGitRepository(dir) ? ['HEAD', 'refs', 'packed-refs'].map((p) => join(gitdir, p)) : [dir];
  let timer: NodeJS.Timeout | undefined;
  const burst = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, 100);
  };
  const watcher = watch(paths, { ignoreInitial: true });
  watcher.on('all', burst);
  return watcher;
}

/**
 * Starts following the source and serving it over ADS on host:xdsPort. Throws the source's typed
 * errors when it cannot be opened at all, and the bind error when the port is taken; an invalid
 * first revision does not throw (see `first` and `status()`).
 */
export async function startServing(options: ServeOptions): Promise<Serving> {
  const log = options.log ?? noopLogger;
  const source =
    options.source ??
    sourceFor(options.repo, {
      ...(options.cwd !== undefined && { cwd: options.cwd }),
      ...(options.ref !== undefined && { ref: options.ref }),
      ...(options.path !== undefined && { path: options.path }),
      ...(options.stateDir !== undefined && { mirrorRoot: options.stateDir }),
      ...(options.gitToken !== undefined && { token: options.gitToken }),
      ...(options.trustedKeys !== undefined && { trustedKeys: options.trustedKeys }),
      onWarning: (warning) => log.warn({ code: warning.code, ...warning.data }, warning.message),
    });
  const cache = new SnapshotCache();
  const stateDir = options.stateDir !== undefined ? new StateDir(options.stateDir) : undefined;
  let adsService: { connectedCount(): number } | undefined;
  const metrics = new Metrics({ connectedProxies: () => adsService?.connectedCount() ?? 0 });
  const metricHooks = metrics.adsHooks();
  const hooks = options.ads?.hooks ?? {};
  const ads = await startAdsServer({
    ...options.ads,
    source: cache,
    host: options.host,
    port: options.xdsPort,
    hooks: {
      ...hooks,
      onAck: (streamId, type, version, latencyMs) => {
        metricHooks.onAck?.(streamId, type, version, latencyMs);
        hooks.onAck?.(streamId, type, version, latencyMs);
      },
      onNack: (streamId, type, version, error) => {
        metricHooks.onNack?.(streamId, type, version, error);
        log.warn({ streamId, type, version, error }, 'a proxy NACKed a response; it keeps its last good config');
        hooks.onNack?.(streamId, type, version, error);
      },
    },
  });
  adsService = ads.service;
  const reconciler = new Reconciler({
    source,
    cache,
    ads: ads.service,
    log,
    metrics,
    ...(stateDir && { stateDir }),
    ...(options.nackThreshold !== undefined && { nackThreshold: options.nackThreshold }),
    ...(options.rollbackCommit && !options.source && { onRollback: (rollback: Rollback) => commitRollback(options, rollback, log) }),
  });
  let current: PublishResult = { commit: null, proxies: [], proxyless: [], changed: [], removed: [], warnings: [] };
  const track = (result: ReconcileResult): ReconcileResult => {
    if (result.outcome === 'applied' || (result.outcome === 'unchanged' && result.proxies.length > 0)) current = publishResult(result);
    options.onReconcile?.(result);
    return result;
  };
  try {
    await reconciler.restore();
  } catch (error) {
    // A state dir that cannot be read is reported; the repository is the source of truth.
    options.log?.error({ err: error instanceof Error ? error.message : String(error) }, 'the state dir snapshot cannot be restored; starting from the repository');
  }
  let admin: AdminServer | undefined;
  if (options.httpPort !== undefined) {
    admin = await startAdminServer({
      host: options.httpHost ?? options.host,
      port: options.httpPort,
      model: adminModel({ reconciler, ads: ads.service, cache, metrics }),
      logger: log,
      webhook: {
        ...(options.webhookSecret !== undefined && { secret: options.webhookSecret }),
        onPush: () => reconciler.run('webhook').then(track),
      },
    }).catch(async (error: unknown) => {
      await ads.close();
      throw error;
    });
  }
  const first = track(await reconciler.run('start'));
  const timers: NodeJS.Timeout[] = [];
  const watchers: FSWatcher[] = [];
  if (options.pollMs) {
    const timer = setInterval(() => void reconciler.run('poll').then(track), options.pollMs);
    timer.unref();
    timers.push(timer);
  }
  if (!options.source && options.watch === true && !/^https?:\/\//i.test(options.repo)) {
    const dir = resolve(options.cwd ?? process.cwd(), options.repo);
    watchers.push(watchLocal(dir, () => void reconciler.run('watch').then(track)));
  }
  let closed = false;
  return {
    port: ads.port,
    address: ads.address,
    cache,
    ads,
    reconciler,
    metrics,
    admin,
    stateDir,
    get current() {
      return current;
    },
    first,
    status: () => reconciler.status(),
    async reload() {
      const result = track(await reconciler.run('reload'));
      if (result.outcome === 'rejected') {
        const where = `${source.description}${result.commit ? ` at ${result.commit.slice(0, 12)}` : ''}`;
        throw new ServeValidationError(`${where} has ${result.diagnostics.length} error(s); nothing of it is served`, result.diagnostics, { commit: result.commit });
      }
      if (result.outcome === 'failed') throw new GitmeshError(result.error?.code ?? 'Error', result.error?.message ?? 'reconcile failed', { commit: result.commit });
      return current;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all(watchers.map((w) => w.close()));
      await admin?.close();
      await reconciler.close();
      await ads.close();
    },
  };
}
