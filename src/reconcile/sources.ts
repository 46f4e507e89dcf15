// What the reconciler reads from: a plain folder, a local git repository at a ref, or a remote mirror, behind one interface.
import { resolve } from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { readFolder } from '../source/folder.js';
import { isGitRepository, readRevision, resolveCommit } from '../source/git.js';
import { DEFAULT_LIMITS, type SourceFile, type SourceLimits } from '../source/types.js';
import type { CommitAuthor } from './state-dir.js';

/** The files of one revision. */
export interface RevisionFiles {
  readonly files: readonly SourceFile[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Who made a commit and what it says. */
export interface CommitMeta {
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
  fetch(): Promise<string | null>;
  /** The policy files at `commit` (a folder: as they are now). `cache` is isomorphic-git's pack cache, shared within one reconcile. */
  read(commit: string | null, cache: object): Promise<RevisionFiles>;
  /** Author and subject of a commit, when the source has commits. */
  meta?(commit: string, cache: object): Promise<CommitMeta | undefined>;
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

/** A local git repository (work tree or bare) at `ref`, read from git objects; `path` narrows to a sub-folder. */
export function localGitSource(dir: string, options: { readonly ref: string; readonly path?: string; readonly limits?: SourceLimits; readonly meta?: (dir: string, commit: string, cache: object) => Promise<CommitMeta | undefined> }): RevisionSource {
  const { ref, path, limits = DEFAULT_LIMITS } = options;
  return {
    description: `${dir} at ${ref}`,
    versioned: true,
    fetch: () => resolveCommit(dir, ref),
    read: async (commit, cache) => readRevision({ dir, ref: commit ?? ref, limits, cache, ...(path !== undefined && { path }) }),
    ...(options.meta && { meta: (commit: string, cache: object) => options.meta!(dir, commit, cache) }),
  };
}

/** SRC as a local path: a git repository (followed at `ref`, default HEAD) or a plain folder. */
export function localSource(src: string, options: { readonly cwd?: string; readonly ref?: string; readonly path?: string; readonly meta?: (dir: string, commit: string, cache: object) => Promise<CommitMeta | undefined> } = {}): RevisionSource {
  const dir = resolve(options.cwd ?? process.cwd(), src);
  if (isGitRepository(dir)) {
    return localGitSource(dir, { ref: options.ref ?? 'HEAD', ...(options.path !== undefined && { path: options.path }), ...(options.meta && { meta: options.meta }) });
  }
  return folderSource(options.path ? resolve(dir, options.path) : dir);
}
