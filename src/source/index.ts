// One entry to every source: a local folder, or a local git repository read at a ref.
import { resolve } from 'node:path';
import { GitmeshError } from '../core/errors.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { readFolder } from './folder.js';
import { isGitRepository, readRevision } from './git.js';
import { DEFAULT_LIMITS, type SourceFile, type SourceLimits } from './types.js';

export { RefNotFoundError } from './git.js';
export { SourceNotFoundError } from './errors.js';

/** SRC cannot be read as asked (a remote URL before remotes are supported, a ref on a plain folder). */
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
 * `path` narrows to a sub-folder of a repository. Throws typed errors for I/O and usage only.
 */
export async function readSource(options: { src: string; ref?: string; path?: string; cwd?: string; limits?: SourceLimits }): Promise<SourceRead> {
  const { src, ref, path, limits = DEFAULT_LIMITS } = options;
  if (/^https?:\/\//i.test(src)) throw new SourceUsageError(`${src}: remote repositories are read by \`gitmesh serve\`; clone it and pass the local path`, { src });
  const dir = resolve(options.cwd ?? process.cwd(), src);
  if (isGitRepository(dir)) return readRevision({ dir, ref: ref ?? 'HEAD', limits, ...(path !== undefined && { path }) });
  if (ref !== undefined) throw new SourceUsageError(`${src} is not a git repository, so --ref ${ref} cannot apply`, { src, ref });
  const read = await readFolder(path ? resolve(dir, path) : dir, limits);
  return { commit: null, ...read };
}
