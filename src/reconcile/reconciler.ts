// The GitOps loop: fetch → load → validate → compile → diff against the live snapshots → publish to the proxies that changed.
//
// One reconcile runs at a time; triggers that arrive meanwhile (a webhook burst, a poll, file
// events) coalesce into one more run. A revision with errors is recorded as rejected and never
// published: the proxies keep the last good snapshot. A source that fails (remote down, ref
// gone) degrades the status and changes nothing. The state dir, when given, gets the snapshot
// before the proxies do, so a crash at any point restarts on what proxies were (or were about
// to be) served. A revision the proxies NACK is rolled back, and a revert reuses stored
// snapshots (decision 0008).
import { createHash } from 'node:crypto';
import type { Diagnostic } from '../core/diagnostics.js';
import { GitmeshError } from '../core/errors.js';
import { noopLogger, type Logger } from '../core/log.js';
import type { AdsService } from '../xds/ads/server.js';
import type { SnapshotCache } from '../xds/cache.js';
import { EncodeCache, type Snapshot } from '../xds/snapshot.js';
import { RESOURCE_KEYS, PUSH_ORDER } from '../xds/type-urls.js';
import { buildRevisionYielding, type Built, type BuiltProxy, type Refused } from './build.js';
import type { CommitMeta, RevisionSource } from './sources.js';
import { StateDir, type AppliedEntry, type StoredProxy } from './state-dir.js';

/** How a reconcile ended. */
export type ReconcileOutcome = 'applied' | 'unchanged' | 'rejected' | 'failed';

/** What one reconcile did. */
export interface ReconcileResult {
  readonly outcome: ReconcileOutcome;
  /** The commit fetched (null for a folder, or when the fetch failed). */
  readonly commit: string | null;
  readonly trigger: string;
  /** Node ids whose snapshot changed (added ones included), sorted; empty unless applied. */
  readonly changed: readonly string[];
  /** Node ids whose Dataplane is gone, sorted. */
  readonly removed: readonly string[];
  /** Node ids served after this reconcile, sorted. */
  readonly proxies: readonly string[];
  /** Of those, the proxyless gRPC ones. */
  readonly proxyless: readonly string[];
  /** Errors of a rejected revision; warnings of an applied one. */
  readonly diagnostics: readonly Diagnostic[];
  /** The commits an applied revert undoes (its tree equals an earlier applied revision's). */
  readonly revertOf?: readonly string[];
  /** Why it failed (a source error), when it did. */
  readonly error?: { readonly code: string; readonly message: string };
  readonly ms: number;
}

/**
 * `/api/v1/status` (DESIGN.md §5). `live` and `lastSeen` are null until the first snapshot is
 * served and the first commit is read; a commit is null for a plain folder source.
 */
export interface StatusJson {
  readonly state: 'serving' | 'degraded' | 'starting';
  readonly live: { readonly commit: string | null; readonly appliedAt: string } | null;
  readonly lastSeen: { readonly commit: string | null; readonly at: string } | null;
  readonly rejected: { readonly commit: string | null; readonly at: string; readonly diagnostics: readonly Diagnostic[] } | null;
  readonly lastError: { readonly at: string; readonly code: string; readonly message: string } | null;
  /** The last NACK rollback (a gitmesh addition to DESIGN §5): the commit taken back, the one served instead, and why. */
  readonly rolledBack: { readonly commit: string | null; readonly to: string | null; readonly at: string; readonly reason: string } | null;
}

/** What the reconciler reports to metrics. */
export interface ReconcileMetrics {
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
  rolledBack?(): void;
}

export interface ReconcilerOptions {
  readonly source: RevisionSource;
  readonly cache: SnapshotCache;
  /** The ADS service, to learn when a publish went live on the proxies (the `live` entries of the log). */
  readonly ads?: Pick<AdsService, 'syncOf'>;
  readonly stateDir?: StateDir;
  readonly log?: Logger;
  readonly metrics?: ReconcileMetrics;
  readonly now?: () => Date;
  /** How long to wait for the changed proxies to ACK before the `live` entry is written anyway (default 30 s). */
  readonly settleTimeoutMs?: number;
  /** Proxies that must NACK a revision before it is rolled back (default 1; 0 turns NACK rollback off). */
  readonly nackThreshold?: number;
  /** Called after a NACK rollback (e.g. to push a revert commit so git stays the truth). */
  readonly onRollback?: (rollback: Rollback) => void | Promise<void>;
}

/** A revision taken back because proxies NACKed it. */
export interface Rollback {
  readonly commit: string | null;
  /** The revision served instead. */
  readonly to: string | null;
  readonly reason: string;
  /** The proxies that NACKed. */
  readonly proxies: readonly string[];
}

/** One applied revision kept in memory: to recognise a revert (same tree) and to roll back to. */
interface AppliedRevision {
  readonly commit: string | null;
  readonly tree: string | undefined;
  readonly proxies: ReadonlyMap<string, BuiltProxy>;
}

/** Applied revisions remembered for revert recognition and rollback. */
const APPLIED_KEPT = 16;

const DIAGNOSTICS_LOGGED = 20;

/** Why a revision is kept out: build's reasons, or a missing trusted signature (--verify-signatures). */
type Rejection = Refused | { readonly ok: false; readonly reason: 'unsigned'; readonly diagnostics: readonly Diagnostic[] };

const REJECTED: Readonly<Record<Rejection['reason'], string>> = {
  invalid: 'revision rejected: it has errors; proxies keep the last good snapshot',
  inconsistent: 'revision rejected: it compiles to inconsistent xDS (a compiler bug); proxies keep the last good snapshot',
  unsigned: 'revision rejected: it is not signed by a trusted key; proxies keep the last good snapshot',
};

export class Reconciler {
  readonly #options: ReconcilerOptions;
  readonly #log: Logger;
  readonly #now: () => Date;
  #encode = new EncodeCache();
  #live: { commit: string | null; appliedAt: string } | null = null;
  #lastSeen: StatusJson['lastSeen'] = null;
  #rejected: StatusJson['rejected'] = null;
  #lastError: StatusJson['lastError'] = null;
  #proxyless = new Set<string>();
  #rolledBack: StatusJson['rolledBack'] = null;
  /** Applied revisions, oldest first; the last one is live. */
  #applied: AppliedRevision[] = [];
  /** Revisions rolled back (commit ids; for a folder, content fingerprints): not applied again until a newer commit arrives. */
  readonly #bad = new Set<string>();
  #running: Promise<ReconcileResult> | undefined;
  #queued: { triggers: Set<string>; promise: Promise<ReconcileResult>; resolve: (result: ReconcileResult) => void } | undefined;
  #settle: { cancel(reason: string): void; done: Promise<void> } | undefined;
  #closed = false;

  constructor(options: ReconcilerOptions) {
    this.#options = options;
    this.#log = options.log ?? noopLogger;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Serves the state dir's last good snapshot, if there is one: call before the first fetch so a
   * restart serves the same versions at once. Returns the commit restored (undefined: nothing).
   */
  async restore(): Promise<{ commit: string | null; proxies: number } | undefined> {
    const stateDir = this.#options.stateDir;
    if (!stateDir) return undefined;
    const stored = await stateDir.loadSnapshot();
    if (!stored) return undefined;
    for (const [nodeId, proxy] of stored.proxies) {
      this.#options.cache.set(nodeId, proxy.snapshot, { commit: stored.commit ?? '', ...(proxy.flavour !== undefined && { flavour: proxy.flavour }) });
      if (proxy.flavour === 'grpc') this.#proxyless.add(nodeId);
    }
    this.#live = { commit: stored.commit, appliedAt: stored.appliedAt };
    // Commits rolled back before the restart stay out until a newer commit arrives.
    const log = await stateDir.log();
    for (const entry of log) {
      if (entry.event !== 'rollback') continue;
      if (entry.commit !== null) this.#bad.add(entry.commit);
      this.#rolledBack = { commit: entry.commit, to: entry.to, at: entry.time, reason: entry.reason };
    }
    // A crash before the restored revision was seen live: wait for its proxies again (they reconnect), so the log says when.
    const applied = log.findLastIndex((e) => e.event === 'applied' && e.commit === stored.commit);
    const entry = log[applied];
    if (entry?.event === 'applied' && !log.slice(applied + 1).some((e) => e.event === 'live' && e.commit === stored.commit)) {
      this.#watchSettle(stored.commit, Object.keys(entry.changed));
    }
    this.#log.info({ commit: stored.commit, proxies: stored.proxies.size, appliedAt: stored.appliedAt }, 'serving the last good snapshot from the state dir');
    return { commit: stored.commit, proxies: stored.proxies.size };
  }

  /** Asks for a reconcile; triggers during a run coalesce into one more run. */
  trigger(reason: string): void {
    void this.run(reason);
  }

  /** Runs a reconcile (or joins the one queued behind the running one) and resolves with its result. */
  run(reason: string): Promise<ReconcileResult> {
    if (this.#running) {
      if (!this.#queued) {
        let resolve!: (result: ReconcileResult) => void;
        const promise = new Promise<ReconcileResult>((r) => (resolve = r));
        this.#queued = { triggers: new Set(), promise, resolve };
      }
      this.#queued.triggers.add(reason);
      return this.#queued.promise;
    }
    const running = this.#once(reason).finally(() => {
      this.#running = undefined;
      const queued = this.#queued;
      this.#queued = undefined;
      if (queued && !this.#closed) void this.run([...queued.triggers].join('+')).then(queued.resolve);
    });
    this.#running = running;
    return running;
  }

  /** Whether a snapshot is served (restored or applied). */
  ready(): boolean {
    return this.#live !== null;
  }

  status(): StatusJson {
    const state = this.#live === null ? 'starting' : this.#lastError ? 'degraded' : 'serving';
    return { state, live: this.#live, lastSeen: this.#lastSeen, rejected: this.#rejected, lastError: this.#lastError, rolledBack: this.#rolledBack };
  }

  /** Stops queued runs and the settle wait (writes its `live` entry with what is known). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running?.catch(() => undefined);
    this.#settle?.cancel('stopped');
    await this.#settle?.done;
  }

  async #once(trigger: string): Promise<ReconcileResult> {
    const started = performance.now();
    const at = () => this.#now().toISOString();
    const served = () => this.#options.cache.nodeIds();
    const result = (outcome: ReconcileOutcome, commit: string | null, rest: Partial<ReconcileResult> = {}): ReconcileResult => {
      const ms = performance.now() - started;
      this.#options.metrics?.reconciled(outcome, ms / 1000);
      const proxies = rest.proxies ?? served();
      return { outcome, commit, trigger, changed: [], removed: [], proxies, proxyless: proxies.filter((id) => this.#proxyless.has(id)), diagnostics: [], ...rest, ms };
    };
    const { source } = this.#options;
    // One pack cache for every git read of this reconcile (isomorphic-git parses each pack index once).
    const packCache = {};
    let commit: string | null;
    try {
      commit = await source.fetch(packCache);
    } catch (error) {
      const code = error instanceof GitmeshError ? error.code : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      this.#lastError = { at: at(), code, message };
      this.#log.warn({ trigger, source: source.description, code, err: message }, 'fetch failed; still serving the last good snapshot');
      return result('failed', null, { error: { code, message } });
    }
    this.#lastSeen = { commit, at: at() };
    if (this.#lastError && this.#lastError.code !== 'StateDir') this.#lastError = null;
    if (source.versioned && commit !== null && (commit === this.#live?.commit || commit === this.#rejected?.commit || this.#bad.has(commit))) return result('unchanged', commit);

    let meta: CommitMeta | undefined;
    let built: Built | Rejection;
    let revertOf: string[] | undefined;
    const encode = this.#encode.next();
    try {
      if (commit !== null) meta = await source.meta?.(commit, packCache);
      const unsigned = commit !== null ? await source.verify?.(commit) : undefined;
      // A commit whose tree equals an earlier applied one (a `git revert`) reuses its snapshots: no read, no compile.
      const earlier = meta?.tree !== undefined ? this.#applied.findLastIndex((r) => r.tree === meta!.tree && !(r.commit !== null && this.#bad.has(r.commit))) : -1;
      if (unsigned) {
        built = { ok: false, reason: 'unsigned', diagnostics: [unsigned] };
      } else if (earlier >= 0 && earlier < this.#applied.length - 1) {
        built = { ok: true, proxies: this.#applied[earlier]!.proxies, warnings: [] };
        revertOf = this.#applied.slice(earlier + 1).flatMap((r) => (r.commit === null ? [] : [r.commit]));
      } else if (earlier >= 0 && this.#rolledBack && this.#rolledBack.to === this.#live?.commit && this.#rolledBack.commit !== null) {
        // The commit that puts git back where a NACK rollback already put the proxies.
        built = { ok: true, proxies: this.#applied[earlier]!.proxies, warnings: [] };
        revertOf = [this.#rolledBack.commit];
      } else {
        built = await buildRevisionYielding(await source.read(commit, packCache), encode);
      }
    } catch (error) {
      const code = error instanceof GitmeshError ? error.code : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      this.#lastError = { at: at(), code, message };
      this.#log.warn({ trigger, commit, code, err: message }, 'reading the revision failed; still serving the last good snapshot');
      return result('failed', commit, { error: { code, message } });
    }
    const who = meta ? { author: meta.author, subject: meta.subject } : {};
    if (!built.ok) {
      this.#rejected = { commit, at: at(), diagnostics: built.diagnostics };
      this.#log.error(
        { trigger, commit, ...who, errors: built.diagnostics.length, diagnostics: built.diagnostics.slice(0, DIAGNOSTICS_LOGGED).map(formatDiagnostic) },
        REJECTED[built.reason],
      );
      await this.#append({ event: 'rejected', time: at(), commit, ...who, trigger, errors: built.diagnostics.length, diagnostics: built.diagnostics.slice(0, DIAGNOSTICS_LOGGED).map(formatDiagnostic) });
      return result('rejected', commit, { diagnostics: built.diagnostics });
    }
    const next = built.proxies;
    if (commit === null && this.#bad.has(fingerprint(next))) {
      // A folder has no commits: a rolled-back content is known by its versions, and not applied again.
      return result('unchanged', commit, { proxies: served() });
    }
    if (!revertOf) this.#encode = encode;
    const { changed, removed, unchanged } = this.#diff(next);
    const proxies = [...next.keys()].sort();
    const proxyless = new Set(proxies.filter((id) => next.get(id)!.flavour === 'grpc'));
    const revision: AppliedRevision = { commit, tree: meta?.tree, proxies: next };
    if (changed.length === 0 && removed.length === 0 && this.#live !== null && !revertOf) {
      // The same content from another commit (or a folder touched without a change): nothing to push or record.
      this.#live = { commit, appliedAt: this.#live.appliedAt };
      this.#rejected = null;
      this.#proxyless = proxyless;
      this.#remember(revision);
      this.#publish(next, commit, []);
      return result('unchanged', commit, { proxies, diagnostics: built.warnings });
    }
    const appliedAt = at();
    // Write ahead: the state dir holds the new snapshot before any proxy sees it.
    await this.#save(commit, appliedAt, next);
    await this.#append({
      event: 'applied',
      time: appliedAt,
      commit,
      ...who,
      trigger,
      changed: Object.fromEntries(changed.map((id) => [id, versionsJson(next.get(id)!.snapshot)])),
      removed,
      unchanged,
      ...(revertOf && { revertOf }),
    });
    this.#publish(next, commit, removed);
    this.#live = { commit, appliedAt };
    this.#rejected = null;
    this.#proxyless = proxyless;
    this.#remember(revision);
    this.#log.info(
      { trigger, commit, ...who, changed: changed.length, removed: removed.length, unchanged, warnings: built.warnings.length, ...(revertOf && { revertOf }) },
      revertOf ? 'revision applied: a revert, its snapshots reused' : 'revision applied',
    );
    this.#watchSettle(commit, changed);
    return result('applied', commit, { changed, removed, proxies, diagnostics: built.warnings, ...(revertOf && { revertOf }) });
  }

  #remember(revision: AppliedRevision): void {
    this.#applied = [...this.#applied.filter((r) => r.commit !== revision.commit || r.commit === null), revision].slice(-APPLIED_KEPT);
  }

  /**
   * Takes `commit` back after proxies NACKed it (DESIGN §7): the previous applied revision is
   * served again to every proxy, the commit is marked bad (not applied again until a newer commit
   * arrives), and the state dir, log and status say why. Runs between reconciles.
   */
  async #rollback(commit: string | null, nacked: readonly string[], reason: string): Promise<void> {
    await this.#running?.catch(() => undefined);
    if (this.#closed || this.#live?.commit !== commit) return; // superseded by a newer revision meanwhile
    const previous = this.#applied.at(-2);
    if (!previous) {
      this.#log.error({ commit, nacked: nacked.length, reason }, 'proxies NACKed the first revision served; there is nothing earlier to roll back to');
      return;
    }
    const at = this.#now().toISOString();
    this.#bad.add(commit ?? fingerprint(this.#applied.at(-1)!.proxies));
    const removed = this.#options.cache.nodeIds().filter((id) => !previous.proxies.has(id));
    await this.#save(previous.commit, at, previous.proxies);
    await this.#append({ event: 'rollback', time: at, commit, to: previous.commit, reason, proxies: [...nacked] });
    this.#publish(previous.proxies, previous.commit, removed);
    this.#applied = this.#applied.slice(0, -1);
    this.#live = { commit: previous.commit, appliedAt: at };
    this.#proxyless = new Set([...previous.proxies].filter(([, p]) => p.flavour === 'grpc').map(([id]) => id));
    this.#rolledBack = { commit, to: previous.commit, at, reason };
    this.#options.metrics?.rolledBack?.();
    this.#log.warn({ commit, to: previous.commit, nacked: nacked.length, reason }, 'revision rolled back: proxies NACKed it; the previous revision is served again and this commit is not retried');
    try {
      await this.#options.onRollback?.({ commit, to: previous.commit, reason, proxies: nacked });
    } catch (error) {
      this.#log.error({ commit, err: error instanceof Error ? error.message : String(error) }, 'the rollback hook failed (the rollback itself stands)');
    }
  }

  /** Which node ids a publish of `next` changes, drops and leaves alone. */
  #diff(next: ReadonlyMap<string, BuiltProxy>): { changed: string[]; removed: string[]; unchanged: number } {
    const { cache } = this.#options;
    const changed: string[] = [];
    let unchanged = 0;
    for (const [nodeId, proxy] of next) {
      const current = cache.get(nodeId);
      if (current && sameVersions(current.snapshot, proxy.snapshot)) unchanged++;
      else changed.push(nodeId);
    }
    const removed = cache.nodeIds().filter((id) => !next.has(id));
    return { changed: changed.sort(), removed, unchanged };
  }

  #publish(proxies: ReadonlyMap<string, BuiltProxy>, commit: string | null, removed: readonly string[]): void {
    const { cache } = this.#options;
    for (const [nodeId, proxy] of proxies) cache.set(nodeId, proxy.snapshot, { commit: commit ?? '', flavour: proxy.flavour, inFlavour: proxy.inFlavour });
    for (const nodeId of removed) cache.delete(nodeId);
  }

  async #save(commit: string | null, appliedAt: string, proxies: ReadonlyMap<string, BuiltProxy>): Promise<void> {
    const stateDir = this.#options.stateDir;
    if (!stateDir) return;
    const stored = new Map<string, StoredProxy>([...proxies].map(([id, p]) => [id, { snapshot: p.snapshot, flavour: p.flavour }]));
    await this.#stateDirWrite(() => stateDir.saveSnapshot({ commit, appliedAt, proxies: stored }));
  }

  async #append(entry: AppliedEntry): Promise<void> {
    const stateDir = this.#options.stateDir;
    if (stateDir) await this.#stateDirWrite(() => stateDir.append(entry));
  }

  /** A state dir that cannot be written degrades the status; serving goes on. */
  async #stateDirWrite(write: () => Promise<void>): Promise<void> {
    try {
      await write();
      if (this.#lastError?.code === 'StateDir') this.#lastError = null;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#lastError = { at: this.#now().toISOString(), code: 'StateDir', message };
      this.#log.error({ err: message }, 'the state dir cannot be written; serving goes on, but a restart would not restore this');
    }
  }

  /** Waits until the changed proxies that are connected ACKed (or NACKed) the new snapshot, then logs it as live. */
  #watchSettle(commit: string | null, changed: readonly string[]): void {
    this.#settle?.cancel('superseded');
    const ads = this.#options.ads;
    if (!ads || changed.length === 0) {
      this.#settle = undefined;
      return;
    }
    const timeoutMs = this.#options.settleTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    let stop: ((reason: string) => void) | undefined;
    const done = (async () => {
      let reason = 'settled';
      // Only the proxies still pending are looked at again: a cheap check per stream, no status built.
      const outcome = new Map<string, { state: string; error?: string }>();
      let pending = [...changed];
      for (;;) {
        const sync = ads.syncOf(pending);
        const still: string[] = [];
        for (const nodeId of pending) {
          const state = sync.get(nodeId);
          if (!state?.connected) outcome.set(nodeId, { state: 'Disconnected' });
          else if (state.state === 'synced') outcome.set(nodeId, { state: 'Acked' });
          else if (state.state === 'nacked') outcome.set(nodeId, { state: 'Nacked', ...(state.error !== undefined && { error: state.error }) });
          else still.push(nodeId);
        }
        pending = still;
        if (pending.length === 0) break;
        if (Date.now() >= deadline) {
          reason = 'timeout';
          break;
        }
        const stopped = await new Promise<string | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), 100);
          stop = (why) => {
            clearTimeout(timer);
            resolve(why);
          };
        });
        if (stopped) {
          reason = stopped;
          break;
        }
      }
      for (const nodeId of pending) outcome.set(nodeId, { state: 'Pending' });
      const proxies: Record<string, { state: string; error?: string }> = {};
      const counts = { acked: 0, nacked: 0, pending: 0, disconnected: 0 };
      for (const nodeId of changed) {
        const entry = outcome.get(nodeId)!;
        proxies[nodeId] = entry;
        counts[entry.state === 'Acked' ? 'acked' : entry.state === 'Nacked' ? 'nacked' : entry.state === 'Pending' ? 'pending' : 'disconnected']++;
      }
      await this.#append({ event: 'live', time: this.#now().toISOString(), commit, ...counts, proxies });
      this.#log.info({ commit, ...counts, reason }, counts.nacked > 0 ? 'revision live, with NACKs' : 'revision live');
      const threshold = this.#options.nackThreshold ?? 1;
      if (threshold > 0 && counts.nacked >= threshold && reason !== 'superseded' && reason !== 'stopped') {
        const nacked = Object.entries(proxies).filter(([, p]) => p.state === 'Nacked');
        const why = `${nacked.length} prox${nacked.length === 1 ? 'y' : 'ies'} NACKed it: ${nacked[0]![0]}: ${nacked[0]![1].error ?? 'no error text'}`;
        await this.#rollback(commit, nacked.map(([id]) => id), why);
      }
    })();
    this.#settle = { cancel: (reason) => stop?.(reason), done };
  }
}

/** A revision's content, for sources without commits: every proxy's versions. */
function fingerprint(proxies: ReadonlyMap<string, BuiltProxy>): string {
  const hash = createHash('sha256');
  for (const id of [...proxies.keys()].sort()) hash.update(`${id} ${PUSH_ORDER.map((t) => proxies.get(id)!.snapshot.versions[t]).join(' ')}\n`);
  return `content:${hash.digest('hex')}`;
}

function sameVersions(a: Snapshot, b: Snapshot): boolean {
  return PUSH_ORDER.every((type) => a.versions[type] === b.versions[type]);
}

/** Versions keyed like snapshot JSON (`listeners`, `clusters`…). */
function versionsJson(snapshot: Snapshot): Record<string, string> {
  return Object.fromEntries(PUSH_ORDER.map((type) => [RESOURCE_KEYS[type], snapshot.versions[type]]));
}

function formatDiagnostic(d: Diagnostic): string {
  return `${d.code} ${d.file ? `${d.file}:${d.line}:${d.column} ` : ''}${d.message}`;
}
