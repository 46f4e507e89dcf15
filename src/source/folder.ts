// A plain local folder as a source: the policy files under it, read within limits.
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { diagnostic, type Diagnostic } from '../core/diagnostics.js';
import { SourceNotFoundError } from './errors.js';
import { DEFAULT_LIMITS, isPolicyPath, type SourceFile, type SourceLimits } from './types.js';

/** The policy files of a folder, sorted by path, and what could not be read. */
export interface FolderRead {
  readonly files: SourceFile[];
  readonly diagnostics: Diagnostic[];
}

/**
 * Reads every policy file under `root` (DESIGN.md §3). Symbolic links are followed only while
 * they stay inside `root`; every link that leaves it is a GM502 diagnostic, never read.
 * Throws SourceNotFoundError only when `root` itself is missing; all else is a diagnostic.
 */
export async function readFolder(root: string, limits: SourceLimits = DEFAULT_LIMITS): Promise<FolderRead> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    if (!(await stat(realRoot)).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw new SourceNotFoundError(root, { cause });
  }
  const files: SourceFile[] = [];
  const diagnostics: Diagnostic[] = [];
  const seenDirs = new Set<string>([realRoot]);
  let totalBytes = 0;
  let stopped = false;
  const inside = (real: string) => real === realRoot || real.startsWith(realRoot + sep);
  const toRepoPath = (abs: string) => relative(root, abs).split(sep).join('/');

  const pending: string[] = [root];
  while (pending.length > 0 && !stopped) {
    const dir = pending.pop()!;
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (error) {
      diagnostics.push(diagnostic('GM503', { file: toRepoPath(dir) || '.' }, `cannot list folder: ${(error as Error).message}`));
      continue;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const abs = join(dir, name);
      const repoPath = toRepoPath(abs);
      let info = await lstat(abs).catch(() => null);
      if (!info) continue;
      if (info.isSymbolicLink()) {
        const target = await realpath(abs).catch(() => null);
        if (target === null) continue; // a dangling link holds nothing to read
        if (!inside(target)) {
          diagnostics.push(diagnostic('GM502', { file: repoPath }, `${repoPath} is a symbolic link to a path outside the repository; it is not read`));
          continue;
        }
        info = await stat(target);
        if (info.isDirectory()) {
          if (seenDirs.has(target)) continue;
          seenDirs.add(target);
        }
      }
      if (info.isDirectory()) {
        pending.push(abs);
        continue;
      }
      if (!info.isFile() || !isPolicyPath(repoPath)) continue;
      if (files.length >= limits.maxFiles) {
        diagnostics.push(diagnostic('GM504', { file: repoPath }, `more than ${limits.maxFiles} policy files; reading stopped here`));
        stopped = true;
        break;
      }
      if (info.size > limits.maxFileSize) {
        diagnostics.push(diagnostic('GM107', { file: repoPath }, `${repoPath} is ${formatBytes(info.size)}, over the ${formatBytes(limits.maxFileSize)} limit per file; it is not read`));
        continue;
      }
      if (totalBytes + info.size > limits.maxTotalSize) {
        diagnostics.push(diagnostic('GM504', { file: repoPath }, `the policy files exceed ${formatBytes(limits.maxTotalSize)} in all; reading stopped here`));
        stopped = true;
        break;
      }
      const bytes = await readAtMost(abs, limits.maxFileSize).catch((error: Error) => {
        diagnostics.push(diagnostic('GM503', { file: repoPath }, `cannot read: ${error.message}`));
        return null;
      });
      if (!bytes) continue;
      if (bytes.length > limits.maxFileSize) {
        diagnostics.push(diagnostic('GM107', { file: repoPath }, `${repoPath} grew over the ${formatBytes(limits.maxFileSize)} limit while being read; it is not read`));
        continue;
      }
      totalBytes += bytes.length;
      files.push({ path: repoPath, bytes });
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, diagnostics };
}

/** Reads up to limit + 1 bytes, so a file that grows after stat() is still bounded. */
async function readAtMost(path: string, limit: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(limit + 1, (await handle.stat()).size + 1));
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** Human-readable byte count: `4.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
