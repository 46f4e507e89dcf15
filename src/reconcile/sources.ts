// What the reconciler reads from: a plain folder, a local git repository at a ref, or a remote mirror, behind one interface.
import { join, resolve } from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { readFolder } from '../source/folder.js';
import { GitObjectCache, isGitRepository, readCommitInfo, readRevision, resolveCommit, type CommitInfo } from '../source/git.js';
import { SourceUsageError } from '../source/index.js';
import { defaultMirrorDir, RemoteMirror, type RemoteWarning } from '../source/remote.js';
import type { TrustedKeys } from '../source/signatures.js';
import { DEFAULT_LIMITS, type SourceFile, type SourceLimits } from '../source/types.js';
import type { CommitAuthor } from './state-dir.js';

/** The files of one revision. */
export interface RevisionFiles {
  readonly files: readonly SourceFile[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Who made a commit and what it says. */
export interface CommitMeta {
  /** The commit's root tree: equal trees, equal policies. */
  readonly tree: string;
  readonly author: CommitAuthor;
  /** The message's first line. */
  readonly subject: string;
}

/** A source the reconciler follows. Errors are typed (source/, GitmeshError): I/O and "the remote is down" are thrown, never returned. */
export interface RevisionSource {
  /** For logs; never holds credentials. */
  readonly description: string;
  /** Whether `fetch` names commits (a git source) or always null (a plain folder). */
  readonly versioned: boolean;
  /** Brings the source up to date and says which commit it points at now (null for a folder). */
  fetch(cache: object): Promise<string | null>;
  /** The policy files at `commit` (a folder: as they are now). `cache` is isomorphic-git's pack cache, shared within one reconcile. */
  read(commit: string | null, cache: object): Promise<RevisionFiles>;
  /** Author and subject of a commit, when the source has commits. */
  meta?(commit: string, cache: object): Promise<CommitMeta | undefined>;
  /** With --verify-signatures: a diagnostic (GM505-507) when the commit is not signed by a trusted key. */
  verify?(commit: string): Promise<Diagnostic | undefined>;
}

/** A plain folder, read as it is at each fetch. */
export function folderSource(dir: string, limits: SourceLimits = DEFAULT_LIMITS): RevisionSource {
  return {
    description: dir,
    versioned: false,
    fetch: async () => null,
    read: async () => readFolder(dir, limits),
  };
}

function commitMeta(info: CommitInfo): CommitMeta {
  return { tree: info.tree, author: info.author, subject: info.message.split('\n')[0] ?? '' };
}

/** A local git repository (work tree or bare) at `ref`, read from git objects; `path` narrows to a sub-folder. */
export function localGitSource(dir: string, options: { readonly ref: string; readonly path?: string; readonly limits?: SourceLimits }): RevisionSource {
  const { ref, path, limits = DEFAULT_LIMITS } = options;
  const objects = new GitObjectCache();
  return {
    description: `${dir} at ${ref}`,
    versioned: true,
    fetch: (cache) => resolveCommit(dir, ref, cache),
    read: async (commit, cache) => readRevision({ dir, ref: commit ?? ref, limits, cache, objects, ...(path !== undefined && { path }) }),
    meta: async (commit, cache) => commitMeta(await readCommitInfo(dir, commit, cache)),
  };
}

/** A remote repository over smart HTTP(S), mirrored into one persistent bare git dir. */
export function remoteSource(mirror: RemoteMirror, options: { readonly path?: string; readonly limits?: SourceLimits } = {}): RevisionSource {
  const { path, limits = DEFAULT_LIMITS } = options;
  const objects = new GitObjectCache();
  return {
    description: `${mirror.url} at ${mirror.ref}`,
    versioned: true,
    fetch: async (cache) => (await mirror.fetch({ cache })).commit,
    read: async (commit, cache) => mirror.read(commit ?? mirror.ref, { limits, cache, objects, ...(path !== undefined && { path }) }),
    meta: async (commit, cache) => commitMeta(await mirror.commitInfo(commit, { cache })),
  };
}

/** Where to find SRC and how to read it. */
export interface SourceOptions {
  readonly cwd?: string;
  readonly ref?: string;
  readonly path?: string;
  /** The remote mirror's git dir root (the state dir); default the temp dir. */
  readonly mirrorRoot?: string;
  /** A token for a remote (GITMESH_GIT_TOKEN). */
  readonly token?: string;
  readonly onWarning?: (warning: RemoteWarning) => void;
  /** Refuse commits not signed by one of these keys (--verify-signatures --trusted-keys). */
  readonly trustedKeys?: TrustedKeys;
}

/** Adds signature verification of commits in `gitdir` to a git source. */
function verifying(source: RevisionSource, gitdir: string, keys: TrustedKeys | undefined): RevisionSource {
  if (!keys) return source;
  return {
    ...source,
    verify: async (commit) => {
      // Loaded on use: openpgp is large, and only --verify-signatures needs it.
      const { verifyRevision } = await import('../source/signatures.js');
      return verifyRevision(gitdir, commit, keys);
    },
  };
}

/** SRC: an http(s) URL (mirrored), a local git repository (followed at `ref`, default HEAD), or a plain folder. */
export function sourceFor(src: string, options: SourceOptions = {}): RevisionSource {
  if (/^https?:\/\//i.test(src)) {
    const gitdir = options.mirrorRoot !== undefined ? join(options.mirrorRoot, 'mirror.git') : defaultMirrorDir(src);
    const mirror = new RemoteMirror({
      url: src,
      gitdir,
      ref: options.ref ?? 'HEAD',
      ...(options.token !== undefined && { token: options.token }),
      ...(options.onWarning && { onWarning: options.onWarning }),
    });
    return verifying(remoteSource(mirror, options.path !== undefined ? { path: options.path } : {}), gitdir, options.trustedKeys);
  }
  const dir = resolve(options.cwd ?? process.cwd(), src);
  if (isGitRepository(dir)) return verifying(localGitSource(dir, { ref: options.ref ?? 'HEAD', ...(options.path !== undefined && { path: options.path }) }), dir, options.trustedKeys);
  if (options.trustedKeys) throw new SourceUsageError(`${src} is a folder: it has no commits whose signatures --verify-signatures could check`, { src });
  return folderSource(options.path ? resolve(dir, options.path) : dir);
}
