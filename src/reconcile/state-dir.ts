// The state dir: the applied log (JSON lines) and the last good snapshot, written so a crash never leaves a torn file.
//
// Layout (DESIGN.md §7):
//   applied.jsonl   one JSON object per line, appended and fsynced: what was applied, rejected, and when it went live;
//   snapshot.json   the last good snapshot of every proxy, replaced atomically (temp file, fsync, rename, fsync dir).
// A restart reads snapshot.json and serves it at once, before the first fetch: the bytes are the
// ones served before, so the versions are the same and a proxy that reconnects holding them gets
// no push. A torn last line of the log (a crash mid-append) is skipped on read.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { GitmeshError } from '../core/errors.js';
import { encodedResource, snapshotFromEncoded, type EncodedResource, type Snapshot } from '../xds/snapshot.js';
import { PUSH_ORDER, TYPE_URLS, typeNameOf, type XdsTypeName } from '../xds/type-urls.js';

/** The state dir cannot be written (full disk, permissions): the caller keeps serving and reports it degraded. */
export class StateDirError extends GitmeshError {
  constructor(message: string, data: Record<string, unknown>, options?: { cause?: unknown }) {
    super('StateDir', message, data, options);
  }
}

/** Who made a commit, as the log records it. */
export interface CommitAuthor {
  readonly name: string;
  readonly email: string;
  /** ISO 8601. */
  readonly date: string;
}

/** One line of applied.jsonl. */
export type AppliedEntry =
  | {
      readonly event: 'applied';
      readonly time: string;
      readonly commit: string | null;
      readonly author?: CommitAuthor;
      /** The commit message's first line. */
      readonly subject?: string;
      /** Why the reconcile ran: poll, webhook, watch, start… */
      readonly trigger: string;
      /** Versions of every proxy whose snapshot changed (added ones included), keyed like snapshot JSON. */
      readonly changed: Readonly<Record<string, Readonly<Record<string, string>>>>;
      readonly removed: readonly string[];
      readonly unchanged: number;
      /** A revert: the commits it undoes (its tree equals an earlier applied revision's). */
      readonly revertOf?: readonly string[];
    }
  | {
      /** Proxies NACKed `commit`: `to` is served again, and `commit` is not retried. */
      readonly event: 'rollback';
      readonly time: string;
      readonly commit: string | null;
      readonly to: string | null;
      readonly reason: string;
      readonly proxies: readonly string[];
    }
  | {
      readonly event: 'rejected';
      readonly time: string;
      readonly commit: string | null;
      readonly author?: CommitAuthor;
      readonly subject?: string;
      readonly trigger: string;
      readonly errors: number;
      /** The first few diagnostics, as `CODE file:line:col message`. */
      readonly diagnostics: readonly string[];
    }
  | {
      readonly event: 'live';
      readonly time: string;
      readonly commit: string | null;
      /** Of the proxies the commit changed and that were connected: how many ACKed, NACKed, or had not answered when the wait ended. */
      readonly acked: number;
      readonly nacked: number;
      readonly pending: number;
      /** Proxies changed but not connected (they get it when they connect). */
      readonly disconnected: number;
      /** Per proxy: Acked, Nacked (with the error), Pending or Disconnected. */
      readonly proxies: Readonly<Record<string, { readonly state: string; readonly error?: string }>>;
    };

/** What snapshot.json holds for one proxy. */
export interface StoredProxy {
  readonly snapshot: Snapshot;
  readonly flavour?: string;
}

/** The last good snapshot, as read back. */
export interface StoredSnapshot {
  readonly commit: string | null;
  readonly appliedAt: string;
  readonly proxies: ReadonlyMap<string, StoredProxy>;
}

const FORMAT = 'gitmesh.snapshot/1';

interface SnapshotFile {
  readonly format: typeof FORMAT;
  readonly commit: string | null;
  readonly appliedAt: string;
  /** Each distinct resource once: [type URL, name, base64 bytes]. */
  readonly resources: readonly (readonly [string, string, string])[];
  /** Per proxy, per type (lds, cds…), indexes into `resources`. */
  readonly proxies: Readonly<Record<string, { readonly flavour?: string; readonly types: Readonly<Record<string, readonly number[]>> }>>;
  /** sha256 of everything above, to catch a file changed by hand or half-written by another tool. */
  readonly checksum: string;
}

/** The state dir at `dir` (created on first write). */
export class StateDir {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  get logPath(): string {
    return join(this.dir, 'applied.jsonl');
  }

  get snapshotPath(): string {
    return join(this.dir, 'snapshot.json');
  }

  /** Appends one entry to the applied log and fsyncs it. */
  async append(entry: AppliedEntry): Promise<void> {
    await this.#io('append to the applied log', async () => {
      await fs.mkdir(this.dir, { recursive: true });
      const handle = await fs.open(this.logPath, 'a');
      try {
        await handle.write(`${JSON.stringify(entry)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  /** The applied log, oldest first; lines that do not parse (a torn last line) are skipped. */
  async log(): Promise<AppliedEntry[]> {
    let text: string;
    try {
      text = await fs.readFile(this.logPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StateDirError(`cannot read ${this.logPath}: ${(error as Error).message}`, { path: this.logPath }, { cause: error });
    }
    const entries: AppliedEntry[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const entry = JSON.parse(line) as AppliedEntry;
        if (typeof entry === 'object' && entry !== null && typeof entry.event === 'string') entries.push(entry);
      } catch {
        // a torn line from a crash mid-append
      }
    }
    return entries;
  }

  /** Replaces snapshot.json atomically with every proxy's snapshot. */
  async saveSnapshot(input: { readonly commit: string | null; readonly appliedAt: string; readonly proxies: ReadonlyMap<string, StoredProxy> }): Promise<void> {
    const index = new Map<EncodedResource, number>();
    const resources: [string, string, string][] = [];
    const proxies: Record<string, { flavour?: string; types: Record<string, number[]> }> = {};
    for (const nodeId of [...input.proxies.keys()].sort()) {
      const stored = input.proxies.get(nodeId)!;
      const types: Record<string, number[]> = {};
      for (const type of PUSH_ORDER) {
        types[type] = stored.snapshot.resources[type].map((resource) => {
          let at = index.get(resource);
          if (at === undefined) {
            at = resources.length;
            index.set(resource, at);
            resources.push([resource.typeUrl, resource.name, Buffer.from(resource.bytes).toString('base64')]);
          }
          return at;
        });
      }
      proxies[nodeId] = { ...(stored.flavour !== undefined && { flavour: stored.flavour }), types };
    }
    const body = { format: FORMAT as typeof FORMAT, commit: input.commit, appliedAt: input.appliedAt, resources, proxies };
    const file: SnapshotFile = { ...body, checksum: checksum(body) };
    await this.#io('write the last good snapshot', () => writeAtomic(this.snapshotPath, JSON.stringify(file)));
  }

  /**
   * The last good snapshot, or undefined when there is none. A file that does not parse or whose
   * checksum fails is reported (StateDirError), never half-used.
   */
  async loadSnapshot(): Promise<StoredSnapshot | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.snapshotPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StateDirError(`cannot read ${this.snapshotPath}: ${(error as Error).message}`, { path: this.snapshotPath }, { cause: error });
    }
    const bad = (why: string) => new StateDirError(`${this.snapshotPath} is not a gitmesh snapshot (${why}); delete it to start from the repository`, { path: this.snapshotPath });
    let file: SnapshotFile;
    try {
      file = JSON.parse(text) as SnapshotFile;
    } catch {
      throw bad('not JSON');
    }
    if (file.format !== FORMAT) throw bad(`format ${JSON.stringify(file.format)}`);
    const { checksum: sum, ...body } = file;
    if (sum !== checksum(body)) throw bad('checksum mismatch');
    const resources = file.resources.map(([typeUrl, name, base64]) => {
      const type = typeNameOf(typeUrl);
      if (!type) throw bad(`unknown type ${typeUrl}`);
      return encodedResource(TYPE_URLS[type], name, new Uint8Array(Buffer.from(base64, 'base64')));
    });
    const proxies = new Map<string, StoredProxy>();
    for (const [nodeId, proxy] of Object.entries(file.proxies)) {
      const byType: Partial<Record<XdsTypeName, EncodedResource[]>> = {};
      for (const type of PUSH_ORDER) {
        byType[type] = (proxy.types[type] ?? []).map((at) => {
          const resource = resources[at];
          if (!resource) throw bad(`${nodeId} refers to resource ${at}`);
          return resource;
        });
      }
      proxies.set(nodeId, { snapshot: snapshotFromEncoded(byType), ...(proxy.flavour !== undefined && { flavour: proxy.flavour }) });
    }
    return { commit: file.commit, appliedAt: file.appliedAt, proxies };
  }

  async #io(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      throw new StateDirError(`cannot ${what} in ${this.dir}: ${(error as Error).message}`, { dir: this.dir }, { cause: error });
    }
  }
}

function checksum(body: object): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/** Writes `path` so that a crash leaves either the old file or the new one: temp file, fsync, rename, fsync the directory. */
export async function writeAtomic(path: string, data: string): Promise<void> {
  const dir = join(path, '..');
  await fs.mkdir(dir, { recursive: true });
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const handle = await fs.open(temp, 'w');
  try {
    await handle.write(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, path);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  const dirHandle = await fs.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
