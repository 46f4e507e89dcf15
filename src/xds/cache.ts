// Per-node snapshots behind a narrow interface: what the ADS server reads, and what publish writes.
//
// The cache holds values, never copies: a Snapshot is frozen (snapshot.ts) and its
// EncodedResource objects (and their bytes) are shared with every other node and every push.
// The ADS server depends only on SnapshotSource (STYLE.md §8; go-control-plane cache.go).
import type { Snapshot } from './snapshot.js';

/** What the cache holds for one node id: the snapshot and the commit that produced it. */
export interface SnapshotRecord {
  readonly snapshot: Snapshot;
  /** The commit the snapshot was compiled from (kept beside the snapshot, never in its versions). */
  readonly commit: string;
  /** The flavour it was compiled for (`envoy` or `grpc`), when the publisher says. */
  readonly flavour?: string;
  /**
   * Compiles the same proxy in another flavour, for a client that is not what its Dataplane says
   * (DESIGN.md §6: a gRPC client on a Dataplane without the proxyless label). Called at most once
   * per record and flavour; undefined when it cannot (the default snapshot is served then).
   */
  readonly inFlavour?: (flavour: string) => Snapshot | undefined;
}

/** Called with the new record whenever a node's snapshot changes content (see SnapshotCache.set). */
export type SnapshotListener = (record: SnapshotRecord) => void;

/** The read side of the cache: all the ADS server needs. */
export interface SnapshotSource {
  /** The node's current record (compiled for `flavour`, when given and possible), or undefined when it has none (yet). */
  get(nodeId: string, flavour?: string): SnapshotRecord | undefined;
  /**
   * Calls `listener` after each change of the node's snapshot; returns the function that stops
   * it. Does not call it for the current record (read it with `get`). Listeners run
   * synchronously inside `set` and must not throw; a listener that throws is not retried.
   */
  watch(nodeId: string, listener: SnapshotListener): () => void;
}

/**
 * Snapshots keyed by node id (`MESH.DATAPLANE`, DESIGN.md §6). One event loop; no locking.
 * Memory is one record per node: the snapshots themselves share their EncodedResources.
 */
export class SnapshotCache implements SnapshotSource {
  readonly #records = new Map<string, SnapshotRecord>();
  /** Records compiled for another flavour, per default record (dropped with it). */
  readonly #other = new WeakMap<SnapshotRecord, Map<string, SnapshotRecord>>();
  readonly #watchers = new Map<string, Set<SnapshotListener>>();

  /**
   * Sets the node's snapshot. Returns true and notifies the node's watchers when the content
   * changed (some type's version differs, or the node had none); an equal snapshot only
   * updates the commit kept with it (the same content from another commit is no change).
   */
  set(nodeId: string, snapshot: Snapshot, meta: { readonly commit: string; readonly flavour?: string; readonly inFlavour?: (flavour: string) => Snapshot | undefined }): boolean {
    const previous = this.#records.get(nodeId);
    const record: SnapshotRecord = Object.freeze({
      snapshot,
      commit: meta.commit,
      ...(meta.flavour !== undefined && { flavour: meta.flavour }),
      ...(meta.inFlavour !== undefined && { inFlavour: meta.inFlavour }),
    });
    this.#records.set(nodeId, record);
    if (previous && sameVersions(previous.snapshot, snapshot)) return false;
    for (const listener of [...(this.#watchers.get(nodeId) ?? [])]) {
      try {
        listener(record);
      } catch {
        // A watcher's failure is its own; the others still hear of the change.
      }
    }
    return true;
  }

  get(nodeId: string, flavour?: string): SnapshotRecord | undefined {
    const record = this.#records.get(nodeId);
    if (!record || flavour === undefined || flavour === record.flavour || !record.inFlavour) return record;
    let others = this.#other.get(record);
    if (!others) this.#other.set(record, (others = new Map()));
    let other = others.get(flavour);
    if (!other) {
      const snapshot = record.inFlavour(flavour);
      other = snapshot ? Object.freeze({ snapshot, commit: record.commit, flavour }) : record;
      others.set(flavour, other);
    }
    return other;
  }

  /** Forgets the node's snapshot (its streams keep what they were sent and get nothing new). */
  delete(nodeId: string): boolean {
    return this.#records.delete(nodeId);
  }

  /** Node ids holding a snapshot, sorted. */
  nodeIds(): string[] {
    return [...this.#records.keys()].sort();
  }

  watch(nodeId: string, listener: SnapshotListener): () => void {
    let set = this.#watchers.get(nodeId);
    if (!set) this.#watchers.set(nodeId, (set = new Set()));
    // Wrap, so one function watching twice gets two independent subscriptions.
    const entry: SnapshotListener = (record) => listener(record);
    set.add(entry);
    return () => {
      const current = this.#watchers.get(nodeId);
      if (!current) return;
      current.delete(entry);
      if (current.size === 0) this.#watchers.delete(nodeId);
    };
  }

  /** Watchers registered for the node (for tests and the live-state view). */
  watcherCount(nodeId: string): number {
    return this.#watchers.get(nodeId)?.size ?? 0;
  }
}

function sameVersions(a: Snapshot, b: Snapshot): boolean {
  if (a === b) return true;
  const keys = Object.keys(a.versions) as (keyof Snapshot['versions'])[];
  return keys.every((type) => a.versions[type] === b.versions[type]);
}
