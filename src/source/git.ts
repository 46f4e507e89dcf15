// A git repository as a source: the policy files of one commit, read from trees and blobs (no checkout).
import * as fs from 'node:fs';
import { posix } from 'node:path';
import git from 'isomorphic-git';
import { diagnostic, type Diagnostic } from '../core/diagnostics.js';
import { GitmeshError } from '../core/errors.js';
import { formatBytes } from './folder.js';
import { DEFAULT_LIMITS, isPolicyPath, type SourceFile, type SourceLimits } from './types.js';

/** The ref names no commit: a branch or tag that does not exist, a commit id not in the repository. */
export class RefNotFoundError extends GitmeshError {
  /** `message` replaces the generic one (a remote says which URL and what to do); `data` adds to `{ref}`. */
  constructor(ref: string, options?: { cause?: unknown; message?: string; data?: Record<string, unknown> }) {
    super('RefNotFound', options?.message ?? `ref ${JSON.stringify(ref)} names no commit in the repository`, { ...options?.data, ref }, options?.cause !== undefined ? { cause: options.cause } : undefined);
  }
}

/** The policy files of one commit. */
export interface Revision {
  /** The full commit id. */
  readonly commit: string;
  readonly files: SourceFile[];
  readonly diagnostics: Diagnostic[];
}

/**
 * Trees and blobs by object id, for reading successive commits of one repository: objects never
 * change, and a new commit mostly shares them with the last, while each isomorphic-git read costs
 * several file-system calls (about 1.4 s for 1,100 files). Bounded by `maxBytes` of blob content:
 * past it the cache starts over. Not shared between repositories (ids are, contents are not).
 */
export class GitObjectCache {
  readonly #trees = new Map<string, readonly { path: string; oid: string; type: string; mode: string }[]>();
  readonly #blobs = new Map<string, Uint8Array>();
  #bytes = 0;

  /** `maxBytes` 0 caches nothing. */
  constructor(readonly maxBytes = 64 * 1024 * 1024) {}

  async tree(gitdir: string, oid: string, cache: object): Promise<readonly { path: string; oid: string; type: string; mode: string }[]> {
    const known = this.#trees.get(oid);
    if (known) return known;
    const { tree } = await git.readTree({ fs, gitdir, oid, cache });
    if (this.maxBytes > 0) this.#trees.set(oid, tree);
    return tree;
  }

  async blob(gitdir: string, oid: string, cache: object): Promise<Uint8Array> {
    const known = this.#blobs.get(oid);
    if (known) return known;
    const { blob } = await git.readBlob({ fs, gitdir, oid, cache });
    if (this.maxBytes > 0 && blob.length <= this.maxBytes) {
      if (this.#bytes + blob.length > this.maxBytes) this.clear();
      this.#blobs.set(oid, blob);
      this.#bytes += blob.length;
    }
    return blob;
  }

  clear(): void {
    this.#trees.clear();
    this.#blobs.clear();
    this.#bytes = 0;
  }
}

/** Whether `dir` is a git repository (a work tree with .git, or a bare repository). */
export function isGitRepository(dir: string): boolean {
  return fs.existsSync(posix.join(dir, '.git')) || (fs.existsSync(posix.join(dir, 'HEAD')) && fs.existsSync(posix.join(dir, 'objects')));
}

/** The git dir of `dir`: its `.git` for a work tree, `dir` itself for a bare repository or a mirror. */
export function gitdirOf(dir: string): string {
  return fs.existsSync(posix.join(dir, '.git')) ? posix.join(dir, '.git') : dir;
}

/**
 * Resolves REF (a branch, a tag, HEAD, or a commit id of 7+ hex digits) to a full commit id,
 * peeling annotated tags. Throws RefNotFoundError when nothing matches.
 */
export async function resolveCommit(dir: string, ref: string, cache: object = {}): Promise<string> {
  const gitdir = gitdirOf(dir);
  let oid: string | undefined;
  if (/^[0-9a-f]{7,40}$/i.test(ref)) oid = await git.expandOid({ fs, gitdir, oid: ref.toLowerCase(), cache }).catch(() => undefined);
  if (!oid) oid = await git.resolveRef({ fs, gitdir, ref }).catch(() => undefined);
  if (!oid) oid = await git.resolveRef({ fs, gitdir, ref: `refs/tags/${ref}` }).catch(() => undefined);
  if (!oid) throw new RefNotFoundError(ref);
  for (let depth = 0; depth < 10; depth++) {
    const object: { type: string; object: unknown } = await git.readObject({ fs, gitdir, oid, cache }).catch((cause: unknown) => {
      throw new RefNotFoundError(ref, { cause });
    });
    if (object.type === 'commit') return oid;
    if (object.type !== 'tag') throw new RefNotFoundError(ref);
    oid = (object.object as { object: string }).object;
  }
  throw new RefNotFoundError(ref);
}

/**
 * Reads the policy files (DESIGN.md §3) of `ref` under `path` straight from git objects.
 * Symbolic links are resolved inside the tree; one that leaves the repository is GM502.
 * Submodules are skipped. Limits bound what is read, as for a folder.
 */
export async function readRevision(options: {
  dir: string;
  ref: string;
  path?: string;
  limits?: SourceLimits;
  cache?: object;
  /** Trees and blobs already read, kept across commits (a follower reads mostly unchanged objects). */
  objects?: GitObjectCache;
}): Promise<Revision> {
  const { dir, ref, limits = DEFAULT_LIMITS, cache = {} } = options;
  const gitdir = gitdirOf(dir);
  const objects = options.objects ?? new GitObjectCache(0);
  const commit = await resolveCommit(dir, ref, cache);
  const root = (options.path ?? '').replace(/^\.?\/+|\/+$/g, '');
  const { commit: body } = await git.readCommit({ fs, gitdir, oid: commit, cache });
  const blobs = new Map<string, { oid: string; mode: string }>();
  const pending: [string, string][] = [['', body.tree]];
  while (pending.length > 0) {
    const [prefix, tree] = pending.pop()!;
    for (const entry of await objects.tree(gitdir, tree, cache)) {
      const path = prefix ? `${prefix}/${entry.path}` : entry.path;
      if (entry.type === 'tree') pending.push([path, entry.oid]);
      else if (entry.type === 'blob') blobs.set(path, { oid: entry.oid, mode: entry.mode });
    }
  }
  const files: SourceFile[] = [];
  const diagnostics: Diagnostic[] = [];
  let total = 0;
  const inRoot = (path: string) => (root ? path.startsWith(`${root}/`) : true);
  const relative = (path: string) => (root ? path.slice(root.length + 1) : path);
  for (const path of [...blobs.keys()].sort()) {
    if (!inRoot(path) || !isPolicyPath(relative(path))) continue;
    const repoPath = relative(path);
    let target = path;
    let entry = blobs.get(path)!;
    for (let hops = 0; entry.mode === '120000'; hops++) {
      const link = new TextDecoder().decode(await objects.blob(gitdir, entry.oid, cache));
      const resolved = posix.normalize(posix.join(posix.dirname(target), link));
      const next = blobs.get(resolved);
      if (link.startsWith('/') || resolved.startsWith('..') || !next || hops > 8) {
        diagnostics.push(diagnostic('GM502', { file: repoPath }, `${repoPath} is a symbolic link to ${JSON.stringify(link)}, which is not a file inside the repository; it is not read`));
        entry = { oid: '', mode: 'skip' };
        break;
      }
      target = resolved;
      entry = next;
    }
    // A link to a policy file that is read anyway is read once, at its own path.
    if (target !== path && inRoot(target) && isPolicyPath(relative(target))) continue;
    if (entry.mode === 'skip') continue;
    if (files.length >= limits.maxFiles) {
      diagnostics.push(diagnostic('GM504', { file: repoPath }, `more than ${limits.maxFiles} policy files; reading stopped here`));
      break;
    }
    const blob = await objects.blob(gitdir, entry.oid, cache);
    if (blob.length > limits.maxFileSize) {
      diagnostics.push(diagnostic('GM107', { file: repoPath }, `${repoPath} is ${formatBytes(blob.length)}, over the ${formatBytes(limits.maxFileSize)} limit per file; it is not read`));
      continue;
    }
    total += blob.length;
    if (total > limits.maxTotalSize) {
      diagnostics.push(diagnostic('GM504', { file: repoPath }, `the policy files exceed ${formatBytes(limits.maxTotalSize)} in all; reading stopped here`));
      break;
    }
    files.push({ path: repoPath, bytes: blob });
  }
  return { commit, files, diagnostics };
}

/** Who made a commit, and when (ISO 8601 with the person's own UTC offset, e.g. `2024-05-06T07:08:09+02:00`). */
export interface GitPerson {
  readonly name: string;
  readonly email: string;
  readonly date: string;
}

/** What the audit and `history` need to know about one commit. */
export interface CommitInfo {
  /** The full commit id. */
  readonly commit: string;
  /** The id of its root tree: equal trees mean equal policies (a revert, DESIGN.md §7). */
  readonly tree: string;
  /** Parent ids as recorded in the commit, whether or not a shallow mirror holds them. */
  readonly parents: readonly string[];
  readonly author: GitPerson;
  readonly committer: GitPerson;
  readonly message: string;
}

/**
 * Reads the metadata of `commit` (any REF that resolveCommit takes) from a local or mirrored
 * repository. Pure read; throws RefNotFoundError when the commit is not there.
 */
export async function readCommitInfo(dir: string, commit: string, cache: object = {}): Promise<CommitInfo> {
  const gitdir = gitdirOf(dir);
  const oid = await resolveCommit(dir, commit, cache);
  const { commit: body } = await git.readCommit({ fs, gitdir, oid, cache }).catch((cause: unknown) => {
    throw new RefNotFoundError(commit, { cause });
  });
  return {
    commit: oid,
    tree: body.tree,
    parents: [...body.parent],
    author: person(body.author),
    committer: person(body.committer),
    message: body.message,
  };
}

function person(who: { name: string; email: string; timestamp: number; timezoneOffset: number }): GitPerson {
  // isomorphic-git's timezoneOffset has the sign of Date#getTimezoneOffset: -120 is UTC+02:00.
  const offset = -who.timezoneOffset;
  const local = new Date((who.timestamp + offset * 60) * 1000).toISOString().slice(0, 19);
  if (offset === 0) return { name: who.name, email: who.email, date: `${local}Z` };
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return { name: who.name, email: who.email, date: `${local}${zone}` };
}

/** One file of a tree, flattened: its path below the tree, blob id and mode. */
type TreeFile = readonly [path: string, oid: string, mode: string];

/**
 * The policy files of `commit` under `path`, as readRevision would read them, by blob id and
 * without reading a blob but links': the same paths, a link followed inside the tree to the blob
 * it names (read under its own name unless the target is read anyway), a link that leaves the
 * repository left out. For comparing commits cheaply (`history`): equal maps, equal policies.
 * `trees` memoises flattened trees by id across calls, so unchanged subtrees cost nothing.
 */
export async function listPolicyBlobs(options: {
  dir: string;
  commit: string;
  path?: string;
  cache?: object;
  trees?: Map<string, readonly TreeFile[]>;
}): Promise<Map<string, string>> {
  const { dir, commit, cache = {}, trees = new Map<string, readonly TreeFile[]>() } = options;
  const gitdir = gitdirOf(dir);
  const flatten = async (tree: string): Promise<readonly TreeFile[]> => {
    const known = trees.get(tree);
    if (known) return known;
    const out: TreeFile[] = [];
    for (const entry of (await git.readTree({ fs, gitdir, oid: tree, cache })).tree) {
      if (entry.type === 'blob') out.push([entry.path, entry.oid, entry.mode]);
      else if (entry.type === 'tree') for (const [path, oid, mode] of await flatten(entry.oid)) out.push([`${entry.path}/${path}`, oid, mode]);
    }
    trees.set(tree, out);
    return out;
  };
  const { commit: body } = await git.readCommit({ fs, gitdir, oid: commit, cache });
  const blobs = new Map<string, { oid: string; mode: string }>();
  for (const [path, oid, mode] of await flatten(body.tree)) blobs.set(path, { oid, mode });
  const root = (options.path ?? '').replace(/^\.?\/+|\/+$/g, '');
  const inRoot = (path: string) => (root ? path.startsWith(`${root}/`) : true);
  const relative = (path: string) => (root ? path.slice(root.length + 1) : path);
  const out = new Map<string, string>();
  for (const path of [...blobs.keys()].sort()) {
    if (!inRoot(path) || !isPolicyPath(relative(path))) continue;
    let target = path;
    let entry: { oid: string; mode: string } | undefined = blobs.get(path)!;
    for (let hops = 0; entry?.mode === '120000'; hops++) {
      const link = new TextDecoder().decode((await git.readBlob({ fs, gitdir, oid: entry.oid, cache })).blob);
      const resolved = posix.normalize(posix.join(posix.dirname(target), link));
      entry = link.startsWith('/') || resolved.startsWith('..') || hops > 8 ? undefined : blobs.get(resolved);
      target = resolved;
    }
    if (!entry) continue;
    if (target !== path && inRoot(target) && isPolicyPath(relative(target))) continue;
    out.set(relative(path), entry.oid);
  }
  return out;
}
