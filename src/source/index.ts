// One entry to every source: a local folder, a local git repository read at a ref, or a remote one mirrored over HTTP(S).
import { resolve } from 'node:path';
import type { HttpClient } from 'isomorphic-git';
import { GitmeshError } from '../core/errors.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { readFolder } from './folder.js';
import { isGitRepository, readRevision } from './git.js';
import { defaultMirrorDir, RemoteMirror, type RemoteWarning } from './remote.js';
import { DEFAULT_LIMITS, type SourceFile, type SourceLimits } from './types.js';

export { RefNotFoundError, readCommitInfo, type CommitInfo, type GitPerson } from './git.js';
export { SourceNotFoundError } from './errors.js';
export {
  NotARepositoryError,
  pushCommit,
  PushRejectedError,
  rollbackBranch,
  RollbackRefusedError,
  type RollbackOptions,
  type RollbackResult,
} from './write.js';
// Signed commits: import './signatures.js' directly (it loads openpgp, which the other commands need not).
export {
  defaultMirrorDir,
  MirrorStorageError,
  redactUrl,
  RemoteAuthError,
  RemoteMirror,
  RemoteNotFoundError,
  RemoteUnavailableError,
  type RemoteFetch,
  type RemoteMirrorOptions,
  type RemoteWarning,
} from './remote.js';

/** SRC cannot be read as asked (a remote other than http(s), a ref on a plain folder). */
export class SourceUsageError extends GitmeshError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('SourceUsage', message, data);
  }
}

/** The files of one revision of a source; `commit` is null for a plain folder. */
export interface SourceRead {
  readonly commit: string | null;
  readonly files: SourceFile[];
  readonly diagnostics: Diagnostic[];
}

/**
 * Reads SRC (DESIGN.md §5): a git repository at REF (default HEAD), or a plain folder (no REF).
 * An `http(s)` SRC is mirrored into `cacheDir` (default: defaultMirrorDir(SRC)), fetched
 * incrementally from one call to the next, with the token from `env.GITMESH_GIT_TOKEN`.
 * `path` narrows to a sub-folder of a repository. Throws typed errors for I/O and usage only
 * (a remote's: see RemoteMirror.fetch).
 */
export async function readSource(options: {
  src: string;
  ref?: string;
  path?: string;
  cwd?: string;
  limits?: SourceLimits;
  /** Where GITMESH_GIT_TOKEN is read (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The mirror's git dir for a remote SRC. */
  cacheDir?: string;
  http?: HttpClient;
  onWarning?: (warning: RemoteWarning) => void;
}): Promise<SourceRead> {
  const { src, ref, path, limits = DEFAULT_LIMITS } = options;
  if (/^https?:\/\//i.test(src)) {
    const token = (options.env ?? process.env).GITMESH_GIT_TOKEN;
    const mirror = new RemoteMirror({
      url: src,
      gitdir: options.cacheDir ?? defaultMirrorDir(src),
      ref: ref ?? 'HEAD',
      ...(token && { token }),
      ...(options.http && { http: options.http }),
      ...(options.onWarning && { onWarning: options.onWarning }),
    });
    const cache = {};
    const { commit } = await mirror.fetch({ cache });
    return mirror.read(commit, { cache, limits, ...(path !== undefined && { path }) });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src) || /^[^/\\]+@[^/\\:]+:/.test(src)) {
    const shown = src.replace(/\/\/[^/@]*@/, '//'); // never echo credentials
    throw new SourceUsageError(`${shown}: only http(s) remotes are read; clone it and pass the local path, or use its https URL`, { src: shown });
  }
  const dir = resolve(options.cwd ?? process.cwd(), src);
  if (isGitRepository(dir)) return readRevision({ dir, ref: ref ?? 'HEAD', limits, ...(path !== undefined && { path }) });
  if (ref !== undefined) throw new SourceUsageError(`${src} is not a git repository, so --ref ${ref} cannot apply`, { src, ref });
  const read = await readFolder(path ? resolve(dir, path) : dir, limits);
  return { commit: null, ...read };
}
