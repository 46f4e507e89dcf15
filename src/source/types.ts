// What a source hands to the loader: the policy files of one revision, as bytes.

/** One candidate policy file; `path` is relative to the repository root, with `/` separators. */
export interface SourceFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** Limits that keep hostile trees and files bounded in time and memory. */
export interface SourceLimits {
  /** Largest file read, in bytes (default 4 MiB). */
  readonly maxFileSize: number;
  /** Most policy files read (default 20,000). */
  readonly maxFiles: number;
  /** Most bytes read over all files (default 256 MiB). */
  readonly maxTotalSize: number;
}

export const DEFAULT_LIMITS: SourceLimits = {
  maxFileSize: 4 * 1024 * 1024,
  maxFiles: 20_000,
  maxTotalSize: 256 * 1024 * 1024,
};

/** Whether a repository path is a policy file: `*.yaml`/`*.yml`, no segment starting with `.` (DESIGN.md §3). */
export function isPolicyPath(path: string): boolean {
  return /\.ya?ml$/i.test(path) && !path.split('/').some((segment) => segment.startsWith('.'));
}
