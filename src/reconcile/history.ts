// The audit history (DESIGN.md §5 `history`, §7): commits that changed policies, what they changed, and when they went live.
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import git, { type HttpClient } from 'isomorphic-git';
import { GitmeshError } from '../core/errors.js';
import { compareResources, KINDS, resourceId, type Resource } from '../core/resource.js';
import { loadFiles } from '../load/load.js';
import { gitdirOf, isGitRepository, listPolicyBlobs, readCommitInfo, resolveCommit } from '../source/git.js';
import { defaultMirrorDir, RemoteMirror } from '../source/remote.js';
import { DEFAULT_LIMITS } from '../source/types.js';
import { changedFields } from './field-diff.js';
import { StateDir } from './state-dir.js';

/** How a commit changed one resource. */
export type ChangeKind = 'added' | 'changed' | 'removed';

/** One resource a commit changed; `fields` are the dotted paths that differ (empty for added and removed). */
export interface ResourceChange {
  readonly kind: string;
  readonly mesh: string;
  readonly name: string;
  readonly change: ChangeKind;
  readonly fields: readonly string[];
}

/** When a commit went live, from the applied log of a state dir. */
export interface AppliedInfo {
  /** When it was applied (its snapshot published). */
  readonly at: string;
  /** Proxies whose config it changed. */
  readonly proxies: number;
  readonly acked: number;
  readonly nacked: number;
  /** From the `live` entry, when one was written: when the wait for ACKs ended, and who had not answered. Not in the JSON (DESIGN §7 shape). */
  readonly settled?: { readonly at: string; readonly pending: number; readonly disconnected: number };
  /** A revert: the commits it undoes. */
  readonly revertOf?: readonly string[];
  /** Taken back after proxies NACKed it. `to` (not in the JSON) is the commit served instead. */
  readonly rolledBack?: { readonly reason: string; readonly at: string; readonly to?: string | null };
}

/** A commit the reconciler refused (errors); the proxies kept the last good snapshot. */
export interface RejectedInfo {
  readonly at: string;
  readonly errors: number;
  /** The first diagnostics, as `CODE file:line:col message`. */
  readonly diagnostics: readonly string[];
}

/** One commit that changed policies. */
export interface HistoryEntry {
  readonly commit: string;
  readonly author: { readonly name: string; readonly email: string };
  /** Author date, ISO 8601 with the author's UTC offset. */
  readonly date: string;
  readonly message: string;
  readonly changes: readonly ResourceChange[];
  readonly applied?: AppliedInfo;
  readonly rejected?: RejectedInfo;
}

/** Why the walk ended before the first commit: `limit` entries found, the shallow boundary of a clone, or `maxCommits` walked. */
export interface HistoryStop {
  readonly reason: 'limit' | 'shallow' | 'max-commits';
  /** For `shallow`: the commits whose parents the repository does not hold. */
  readonly at?: readonly string[];
}

export interface History {
  /** The commit REF named. */
  readonly head: string;
  /** Newest first (committer date, as git log). */
  readonly entries: readonly HistoryEntry[];
  /** Set when older commits were not looked at. */
  readonly stopped?: HistoryStop;
}

/** `--resource`: a kind and a name, in one mesh or any. */
export interface ResourceFilter {
  readonly kind: string;
  readonly mesh?: string;
  readonly name: string;
}

/** A history that cannot be read as asked (not a git repository, a malformed filter): a usage error. */
export class HistoryUsageError extends GitmeshError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('HistoryUsage', message, data);
  }
}

/** Entries of the history at most (`--limit`), by default. */
export const DEFAULT_HISTORY_LIMIT = 50;
/** Commits walked at most, by default, whatever the filter finds. */
export const DEFAULT_MAX_COMMITS = 20_000;

/** Parses `KIND/NAME` or `KIND/MESH/NAME` (the kind in any letter case). Throws HistoryUsageError. */
export function parseResourceFilter(text: string): ResourceFilter {
  const parts = text.split('/');
  const kind = KINDS.find((k) => k.toLowerCase() === parts[0]?.toLowerCase());
  if ((parts.length !== 2 && parts.length !== 3) || parts.some((p) => p === '')) {
    throw new HistoryUsageError(`--resource ${JSON.stringify(text)}: write KIND/NAME or KIND/MESH/NAME, e.g. MeshTimeout/backend-timeout`, { resource: text });
  }
  if (!kind) throw new HistoryUsageError(`--resource ${JSON.stringify(text)}: ${parts[0]} is not a kind; one of ${KINDS.join(', ')}`, { resource: text });
  return parts.length === 3 ? { kind, mesh: parts[1]!, name: parts[2]! } : { kind, name: parts[1]! };
}

/**
 * The history of SRC (DESIGN.md §5): a local repository (work tree or bare), or an http(s) URL
 * mirrored with all its history into `cacheDir` (default: a `-history` sibling of the mirror
 * readSource uses; token from `env.GITMESH_GIT_TOKEN`), joined with the applied log of
 * `stateDir` when given. Throws HistoryUsageError for a SRC that is not a git repository, and
 * the source's typed errors (RefNotFoundError, the remote errors, StateDirError).
 */
export async function historyOf(options: {
  src: string;
  ref?: string;
  path?: string;
  resource?: ResourceFilter;
  limit?: number;
  maxCommits?: number;
  stateDir?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  cacheDir?: string;
  http?: HttpClient;
}): Promise<History> {
  const log = options.stateDir !== undefined ? await new StateDir(resolve(options.cwd ?? process.cwd(), options.stateDir)).log() : undefined;
  const rest = {
    ...(options.path !== undefined && { path: options.path }),
    ...(options.resource !== undefined && { resource: options.resource }),
    ...(options.limit !== undefined && { limit: options.limit }),
    ...(options.maxCommits !== undefined && { maxCommits: options.maxCommits }),
    ...(log !== undefined && { log }),
  };
  if (/^https?:\/\//i.test(options.src)) {
    const token = (options.env ?? process.env).GITMESH_GIT_TOKEN || undefined;
    const gitdir = options.cacheDir ?? `${defaultMirrorDir(options.src)}-history`;
    // All of history: a shallow mirror would end the history at its first commit.
    const mirror = new RemoteMirror({
      url: options.src,
      gitdir,
      ref: options.ref ?? 'HEAD',
      depth: 0,
      ...(token !== undefined && { token }),
      ...(options.http && { http: options.http }),
    });
    const cache = {};
    const { commit } = await mirror.fetch({ cache });
    return readHistory({ dir: gitdir, ref: commit, cache, ...rest });
  }
  const dir = resolve(options.cwd ?? process.cwd(), options.src);
  if (!isGitRepository(dir)) throw new HistoryUsageError(`${options.src} is not a git repository; history reads commits, so SRC must be a git repository or an http(s) URL`, { src: options.src });
  return readHistory({ dir, ...(options.ref !== undefined && { ref: options.ref }), ...rest });
}

/**
 * Walks the commits reachable from `ref` (default HEAD), newest first by committer date as git
 * log does, and keeps those that changed a policy resource: added, removed, or with a field that
 * differs (file moves and reformatting are no change). A merge is kept only when it differs from
 * every parent (as git log PATH simplifies history), with its changes against the first parent.
 * Resources are loaded (not validated), so a commit that was rejected still shows what it changed.
 * `resource` keeps only the commits that changed it, and only its change. Stops after `limit`
 * entries (default 50), `maxCommits` commits walked, or at a shallow boundary (`stopped` says
 * which). `log` is a state dir's applied log (any entry kinds; unknown ones are ignored). Reads
 * the git dir only.
 */
export async function readHistory(options: {
  dir: string;
  ref?: string;
  path?: string;
  resource?: ResourceFilter;
  limit?: number;
  maxCommits?: number;
  log?: readonly unknown[];
  cache?: object;
}): Promise<History> {
  const { dir, cache = {} } = options;
  const limit = options.limit ?? DEFAULT_HISTORY_LIMIT;
  const maxCommits = options.maxCommits ?? DEFAULT_MAX_COMMITS;
  const gitdir = gitdirOf(dir);
  const head = await resolveCommit(dir, options.ref ?? 'HEAD', cache);
  const shallow = readShallow(gitdir);
  const facts = indexAppliedLog(options.log ?? []);
  const trees = new Map<string, readonly (readonly [string, string, string])[]>();
  const blobs = new Map<string, Promise<Map<string, string>>>();
  const files = new Map<string, Promise<Resource[]>>();
  const blobsOf = (commit: string) => {
    let found = blobs.get(commit);
    if (!found) blobs.set(commit, (found = listPolicyBlobs({ dir, commit, cache, trees, ...(options.path !== undefined && { path: options.path }) })));
    return found;
  };
  const resourcesOf = (path: string, oid: string) => {
    const key = `${path}\0${oid}`;
    let found = files.get(key);
    if (!found) files.set(key, (found = loadBlob(gitdir, path, oid, cache)));
    return found;
  };
  const diff = async (before: Map<string, string>, after: Map<string, string>): Promise<ResourceChange[]> => {
    const paths = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p));
    if (paths.length === 0) return [];
    const side = async (map: Map<string, string>) => {
      const byId = new Map<string, Resource>();
      for (const path of paths.sort()) {
        const oid = map.get(path);
        if (oid === undefined) continue;
        for (const resource of await resourcesOf(path, oid)) if (resource.name && !byId.has(resourceId(resource))) byId.set(resourceId(resource), resource);
      }
      return byId;
    };
    const [old, next] = [await side(before), await side(after)];
    const changes: (ResourceChange & { key: Resource })[] = [];
    for (const id of new Set([...old.keys(), ...next.keys()])) {
      const a = old.get(id);
      const b = next.get(id);
      const key = (b ?? a)!;
      const base = { kind: key.kind, mesh: key.mesh, name: key.name, key };
      if (!a) changes.push({ ...base, change: 'added', fields: [] });
      else if (!b) changes.push({ ...base, change: 'removed', fields: [] });
      else {
        const fields = changedFields(a, b);
        if (fields.length > 0) changes.push({ ...base, change: 'changed', fields });
      }
    }
    return changes.sort((x, y) => compareResources(x.key, y.key)).map(({ key, ...change }) => (void key, change));
  };

  const entries: HistoryEntry[] = [];
  const boundary: string[] = [];
  const queue: { oid: string; time: number; parents: readonly string[] }[] = [];
  const seen = new Set<string>();
  const enqueue = async (oid: string) => {
    if (seen.has(oid)) return;
    seen.add(oid);
    const read = await git.readCommit({ fs, gitdir, oid, cache }).catch(() => undefined);
    if (!read) return; // not in the repository: beyond a shallow boundary
    const item = { oid, time: read.commit.committer.timestamp, parents: read.commit.parent };
    let at = queue.findIndex((other) => other.time < item.time);
    if (at < 0) at = queue.length;
    queue.splice(at, 0, item);
  };
  await enqueue(head);
  let walked = 0;
  let stopped: HistoryStop | undefined;
  while (queue.length > 0) {
    if (entries.length >= limit) {
      stopped = { reason: 'limit' };
      break;
    }
    if (walked++ >= maxCommits) {
      stopped = { reason: 'max-commits' };
      break;
    }
    const { oid, parents } = queue.shift()!;
    const present = await Promise.all(parents.map((p) => git.readCommit({ fs, gitdir, oid: p, cache }).then(() => true, () => false)));
    if (shallow.has(oid) || present.includes(false)) {
      boundary.push(oid); // what it changed cannot be known without its parents
      continue;
    }
    for (const parent of parents) await enqueue(parent);
    const mine = await blobsOf(oid);
    let changes: ResourceChange[] = [];
    if (parents.length === 0) changes = await diff(new Map(), mine);
    for (const [i, parent] of parents.entries()) {
      const against = await diff(await blobsOf(parent), mine);
      if (against.length === 0) {
        changes = [];
        break;
      }
      if (i === 0) changes = against;
    }
    const filter = options.resource;
    if (filter) changes = changes.filter((c) => c.kind === filter.kind && c.name === filter.name && (filter.mesh === undefined || c.mesh === filter.mesh));
    if (changes.length === 0) continue;
    const info = await readCommitInfo(dir, oid, cache);
    const known = facts.get(oid);
    entries.push({
      commit: oid,
      author: { name: info.author.name, email: info.author.email },
      date: info.author.date,
      message: info.message,
      changes,
      ...(known?.applied && { applied: known.applied }),
      ...(known?.rejected && !known.applied && { rejected: known.rejected }),
    });
  }
  if (!stopped && boundary.length > 0) stopped = { reason: 'shallow', at: boundary };
  return { head, entries, ...(stopped && { stopped }) };
}

/** One history entry as `history --format json` prints it (DESIGN.md §7), plus `rejected` for a commit the reconciler refused. */
export interface HistoryEntryJson {
  readonly commit: string;
  readonly author: { readonly name: string; readonly email: string };
  readonly date: string;
  readonly message: string;
  readonly changes: readonly ResourceChange[];
  readonly applied?: {
    readonly at: string;
    readonly proxies: number;
    readonly acked: number;
    readonly nacked: number;
    readonly revertOf?: readonly string[];
    readonly rolledBack?: { readonly reason: string; readonly at: string };
  };
  readonly rejected?: RejectedInfo;
}

/** The JSON of `history` (DESIGN.md §7), newest first. Pure. */
export function historyJson(history: History): HistoryEntryJson[] {
  return history.entries.map((entry) => {
    const { applied, rejected } = entry;
    return {
      commit: entry.commit,
      author: entry.author,
      date: entry.date,
      message: entry.message,
      changes: entry.changes.map(({ kind, mesh, name, change, fields }) => ({ kind, mesh, name, change, fields })),
      ...(applied && {
        applied: {
          at: applied.at,
          proxies: applied.proxies,
          acked: applied.acked,
          nacked: applied.nacked,
          ...(applied.revertOf && { revertOf: applied.revertOf }),
          ...(applied.rolledBack && { rolledBack: { reason: applied.rolledBack.reason, at: applied.rolledBack.at } }),
        },
      }),
      ...(rejected && { rejected }),
    };
  });
}

/**
 * What the applied log says about each commit: its first `applied` entry (when it first went
 * live), the `live` entry after it (ACKs and NACKs), a `rollback` of it, and, for a commit never
 * applied, its last `rejected` entry. Tolerant: entries of other kinds, or without the fields
 * looked for, are skipped.
 */
export function indexAppliedLog(log: readonly unknown[]): Map<string, { applied?: AppliedInfo; rejected?: RejectedInfo }> {
  const out = new Map<string, { applied?: AppliedInfo; rejected?: RejectedInfo }>();
  for (const raw of log) {
    if (typeof raw !== 'object' || raw === null) continue;
    const entry = raw as Record<string, unknown>;
    const commit = entry.commit;
    const time = typeof entry.time === 'string' ? entry.time : '';
    if (typeof commit !== 'string') continue;
    const facts = out.get(commit) ?? {};
    const applied = facts.applied;
    switch (entry.event) {
      case 'applied': {
        if (applied) break;
        const changed = typeof entry.changed === 'object' && entry.changed !== null ? Object.keys(entry.changed) : [];
        const revertOf = Array.isArray(entry.revertOf) ? entry.revertOf.filter((c): c is string => typeof c === 'string') : undefined;
        facts.applied = { at: time, proxies: changed.length, acked: 0, nacked: 0, ...(revertOf && { revertOf }) };
        break;
      }
      case 'live':
        if (applied && !applied.settled) {
          facts.applied = {
            ...applied,
            acked: count(entry.acked),
            nacked: count(entry.nacked),
            settled: { at: time, pending: count(entry.pending), disconnected: count(entry.disconnected) },
          };
        }
        break;
      case 'rollback':
        if (applied && !applied.rolledBack) {
          const to = typeof entry.to === 'string' || entry.to === null ? { to: entry.to } : {};
          facts.applied = { ...applied, rolledBack: { reason: typeof entry.reason === 'string' ? entry.reason : '', at: time, ...to } };
        }
        break;
      case 'rejected':
        facts.rejected = {
          at: time,
          errors: count(entry.errors),
          diagnostics: Array.isArray(entry.diagnostics) ? entry.diagnostics.filter((d): d is string => typeof d === 'string') : [],
        };
        break;
      default:
        break;
    }
    out.set(commit, facts);
  }
  return out;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** The commits a shallow repository holds without their parents (`shallow` in the git dir). */
function readShallow(gitdir: string): Set<string> {
  try {
    return new Set(fs.readFileSync(join(gitdir, 'shallow'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean));
  } catch {
    return new Set();
  }
}

/** The resources of one policy file at one blob id (none when the blob is over the per-file limit, as readRevision skips it). */
async function loadBlob(gitdir: string, path: string, oid: string, cache: object): Promise<Resource[]> {
  const { blob } = await git.readBlob({ fs, gitdir, oid, cache });
  if (blob.length > DEFAULT_LIMITS.maxFileSize) return [];
  return loadFiles([{ path, bytes: blob }]).resources;
}
