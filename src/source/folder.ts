// A plain local folder as a source: the policy files under it, read within limits.
import { closeSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
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
 * File-system calls between two yields to the event loop. The walk and the reads use the
 * synchronous fs calls, which for many small files are several times faster than the promise
 * API's thread-pool round trips, and yield every so often, so a server that reads a big
 * repository stays responsive (a slice blocks for a few milliseconds at most).
 */
const SLICE = 64;
/** Bytes read between two yields at most (a few files near the size limit). */
const SLICE_BYTES = 8 * 1024 * 1024;

/**
 * Reads every policy file under `root` (DESIGN.md §3). Symbolic links are followed only while
 * they stay inside `root`; every link that leaves it is a GM502 diagnostic, never read.
 * Throws SourceNotFoundError only when `root` itself is missing; all else is a diagnostic.
 * Folders are walked in a fixed order (by name) and the limits applied in that order, so the
 * same tree gives the same result; no file larger than `maxFileSize` is read into memory.
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
  let calls = 0;
  let bytesSinceYield = 0;
  const pause = async () => {
    if (++calls % SLICE !== 0 && bytesSinceYield < SLICE_BYTES) return;
    bytesSinceYield = 0;
    await yieldToEventLoop();
  };
  const inside = (real: string) => real === realRoot || real.startsWith(realRoot + sep);
  const toRepoPath = (abs: string) => relative(root, abs).split(sep).join('/');

  const pending: string[] = [root];
  while (pending.length > 0 && !stopped) {
    const dir = pending.pop()!;
    await pause();
    let dirents: Dirent[];
    try {
      dirents = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      diagnostics.push(diagnostic('GM503', { file: toRepoPath(dir) || '.' }, `cannot list folder: ${(error as Error).message}`));
      continue;
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      if (dirent.name.startsWith('.')) continue;
      const abs = join(dir, dirent.name);
      const repoPath = toRepoPath(abs);
      let isDirectory = dirent.isDirectory();
      let isFile = dirent.isFile();
      if (dirent.isSymbolicLink()) {
        await pause();
        const target = attempt(() => realpathSync(abs));
        if (target === null) continue; // a dangling link (or a loop) holds nothing to read
        if (!inside(target)) {
          diagnostics.push(diagnostic('GM502', { file: repoPath }, `${repoPath} is a symbolic link to a path outside the repository; it is not read`));
          continue;
        }
        const info = attempt(() => statSync(target));
        if (!info) continue; // removed since realpath(): nothing to read
        // A link to a folder or policy file that the walk reaches anyway is read once, at its own path.
        const targetPath = relative(realRoot, target).split(sep).join('/');
        const walked = targetPath !== '' && !targetPath.split('/').some((segment) => segment.startsWith('.'));
        if (walked && (info.isDirectory() || isPolicyPath(targetPath))) continue;
        isDirectory = info.isDirectory();
        isFile = info.isFile();
        if (isDirectory) {
          if (seenDirs.has(target)) continue;
          seenDirs.add(target);
        }
      }
      if (isDirectory) {
        pending.push(abs);
        continue;
      }
      if (!isFile || !isPolicyPath(repoPath)) continue; // sockets, FIFOs, devices are never read
      if (files.length >= limits.maxFiles) {
        diagnostics.push(diagnostic('GM504', { file: repoPath }, `more than ${limits.maxFiles} policy files; reading stopped here`));
        stopped = true;
        break;
      }
      await pause();
      const read = readBounded(abs, limits.maxFileSize);
      if ('error' in read) {
        diagnostics.push(diagnostic('GM503', { file: repoPath }, `cannot read: ${read.error}`));
        continue;
      }
      if (read.bytes === null) {
        const what = read.grew ? 'grew over' : `is ${formatBytes(read.size)}, over`;
        diagnostics.push(diagnostic('GM107', { file: repoPath }, `${repoPath} ${what} the ${formatBytes(limits.maxFileSize)} limit per file; it is not read`));
        continue;
      }
      if (totalBytes + read.bytes.length > limits.maxTotalSize) {
        diagnostics.push(diagnostic('GM504', { file: repoPath }, `the policy files exceed ${formatBytes(limits.maxTotalSize)} in all; reading stopped here`));
        stopped = true;
        break;
      }
      totalBytes += read.bytes.length;
      bytesSinceYield += read.bytes.length;
      files.push({ path: repoPath, bytes: read.bytes });
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, diagnostics };
}

function attempt<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/**
 * Reads a file unless fstat() finds it larger than `limit`: then nothing is read (`size` says
 * how large). A file that grows while it is read is read on, but never past limit + 1 bytes.
 */
function readBounded(path: string, limit: number): { bytes: Uint8Array } | { bytes: null; size: number; grew: boolean } | { error: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return { error: (error as Error).message };
  }
  try {
    const size = fstatSync(fd).size;
    if (size > limit) return { bytes: null, size, grew: false };
    let buffer = Buffer.allocUnsafe(size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length > limit) return { bytes: null, size: length, grew: true };
        const grown = Buffer.allocUnsafe(Math.min(limit + 1, buffer.length * 2));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: buffer.subarray(0, length) };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    closeSync(fd);
  }
}

/** Human-readable byte count: `4.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
