// What the ADS protocol tests share: a raw client stream with an inbox, and snapshots of one example proxy with small variants.
//
// Snapshots are compiled from example-repo (node `default.api-1`: listeners, routes, clusters and endpoints).
import * as grpc from '@grpc/grpc-js';
import * as assert from 'uvu/assert';
import type { ProxyXds } from '../../src/compile/compile.js';
import { decodeResource } from '../../src/xds/encode.js';
import { EncodeCache, makeSnapshot, type Snapshot } from '../../src/xds/snapshot.js';
import { TYPE_URLS, type XdsTypeName } from '../../src/xds/type-urls.js';
import { compileAll, exampleFiles, validResources } from '../compile/example-repo-compile.js';

export const NODE = 'default.api-1';
export const node = { id: NODE, locality: {} } as const;
/** How long "nothing arrives" is watched for (the push debounce is 20 ms). */
const QUIET_MS = 150;
const TIMEOUT_MS = 3000;

/** A raw ADS client stream (SotW or Delta, by `method`) with an inbox. */
export class AdsStream<Req, Res extends { readonly type_url: string }> {
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Req, Res>;
  readonly #inbox: Res[] = [];
  readonly #describe: (response: Res) => string;
  #waiter: (() => void) | undefined;
  #error: Error | undefined;

  constructor(address: string, method: grpc.MethodDefinition<Req, Res>, describe: (response: Res) => string) {
    this.#describe = describe;
    this.#client = new grpc.Client(address, grpc.credentials.createInsecure());
    this.#call = this.#client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
    this.#call.on('data', (response: Res) => {
      this.#inbox.push(response);
      this.#waiter?.();
    });
    this.#call.on('error', (error: Error) => {
      this.#error = error;
      this.#waiter?.();
    });
  }

  send(request: Req): void {
    this.#call.write(request);
  }

  /** The error the stream ended with, if it did. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** The next response; fails after TIMEOUT_MS or when the stream fails. */
  async next(): Promise<Res> {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const response = this.#inbox.shift();
      if (response) return response;
      if (this.#error) throw this.#error;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no response within the timeout');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
  }

  /** The next `count` responses. */
  async take(count: number): Promise<Res[]> {
    const out: Res[] = [];
    for (let i = 0; i < count; i++) out.push(await this.next());
    return out;
  }

  /** Asserts that nothing arrives for QUIET_MS and the stream is still fine. */
  async quiet(what: string): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    if (this.#error) throw this.#error;
    assert.equal(this.#inbox.map(this.#describe), [], `expected no response ${what}`);
  }

  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}

export function shortType(typeUrl: string): string {
  return (Object.entries(TYPE_URLS).find(([, url]) => url === typeUrl)?.[0] ?? typeUrl) as string;
}

/** The name inside a resource's bytes. */
export function decodedName(typeUrl: string, bytes: Uint8Array): string {
  const json = decodeResource(typeUrl, bytes);
  return String(json.name ?? json.cluster_name);
}


export function namesOf(snapshot: Snapshot, type: XdsTypeName): string[] {
  return snapshot.resources[type].map((r) => r.name);
}

export interface Fixtures {
  readonly xds: ProxyXds;
  readonly encode: EncodeCache;
  readonly base: Snapshot;
}

let fixtures: Fixtures | undefined;

export async function loadFixtures(): Promise<Fixtures> {
  if (fixtures) return fixtures;
  const proxy = compileAll(validResources(await exampleFiles())).find((p) => p.id === NODE);
  if (!proxy) throw new Error(`example-repo has no ${NODE}`);
  const encode = new EncodeCache();
  fixtures = { xds: proxy.compiled.xds, encode, base: makeSnapshot(proxy.compiled.xds, encode) };
  return fixtures;
}

/** A snapshot of `xds` with `change` applied (through the shared encode cache). */
export function variant(f: Fixtures, change: (xds: ProxyXds) => ProxyXds): Snapshot {
  return makeSnapshot(change(f.xds), f.encode);
}

/** The first listener renamed: a new LDS version, nothing else changed. */
export const renameListener = (suffix: string) => (xds: ProxyXds): ProxyXds => ({
  ...xds,
  listeners: xds.listeners.map((l, i) => (i === 0 ? { ...(l as object), name: `${String((l as { name: string }).name)}${suffix}` } : l)),
});

/** The last cluster dropped: a new CDS version; EDS unchanged. */
export const dropCluster = (xds: ProxyXds): ProxyXds => ({ ...xds, clusters: xds.clusters.slice(0, -1) });


