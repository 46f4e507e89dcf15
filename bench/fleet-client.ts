// A fleet of simulated Envoy proxies in one process, for bench/fleet.ts: real gRPC SotW ADS streams, ACKing as Envoy does.
//
// Started by bench/fleet.ts with fork() (IPC channel); never run by hand. Each proxy has its
// own grpc-js channel with a local subchannel pool ('grpc.use_local_subchannel_pool'), so its
// own TCP connection, as real Envoys have, and one ADS stream on it. Per proxy, like Envoy:
// - CDS and LDS wildcard requests at start (node on the first request only, as Envoy with
//   `set_node_on_first_message_only`);
// - every response is ACKed at once: version_info and response_nonce of the response, and the
//   proxy's current interest for that type (empty for the wildcard types);
// - after a CDS response, EDS for its EDS clusters (`eds_cluster_config.service_name`, else the
//   cluster name); after an LDS response, RDS for the route configs its listeners name
//   (`rds.route_config_name`, anywhere in the listener). The new subscription goes after the
//   CDS/LDS ACK (Envoy pauses EDS/RDS while it applies CDS/LDS) with the type's last nonce and
//   ACKed version; the server may take it as stale when a response of that type crossed it,
//   and the interest goes again with the ACK of that response.
// No NACK is ever sent, and SDS is not subscribed (the bench mesh has no mTLS).
// A proxy is settled when it holds an ACKed version of CDS and LDS, and EDS and RDS answer its
// current interest; it reports its version set each time that set changes.
//
// Decoded resource names are memoised by content (sha1 of the bytes): proxies share most
// resources, and decoding each copy again would only load this process, not the server.
import { createHash } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { SOTW_ADS_METHOD, type DiscoveryRequestInput, type DiscoveryResponse } from '../src/xds/ads/codec.js';
import { decodeResource } from '../src/xds/encode.js';
import { TYPE_URLS } from '../src/xds/type-urls.js';
import type { FleetProxySpec, FleetVersions, FromFleetClient, ToFleetClient } from './fleet-protocol.js';

if (!process.send) {
  console.error('bench/fleet-client.ts is started by bench/fleet.ts (with an IPC channel); it does nothing alone');
  process.exit(2);
}

const send = (message: FromFleetClient): void => {
  if (process.connected) process.send!(message);
};

type Type = 'lds' | 'cds' | 'eds' | 'rds';
const TYPES: readonly Type[] = ['lds', 'cds', 'eds', 'rds'];
const TYPE_OF = new Map<string, Type>(TYPES.map((t) => [TYPE_URLS[t], t]));

/** What a decoded resource tells a proxy: its name, and the names it makes the proxy subscribe to. */
interface ResourceInfo {
  readonly name: string;
  /** CDS: the ClusterLoadAssignment an EDS cluster needs. LDS: the route configs it names. */
  readonly needs: readonly string[];
}

const infoByContent = new Map<string, ResourceInfo>();

function resourceInfo(type: Type, typeUrl: string, bytes: Uint8Array): ResourceInfo {
  const key = createHash('sha1').update(typeUrl).update(bytes).digest('base64');
  let info = infoByContent.get(key);
  if (info) return info;
  const json = decodeResource(typeUrl, bytes) as Record<string, unknown>;
  const name = String(json.name ?? json.cluster_name ?? '');
  const needs: string[] = [];
  if (type === 'cds' && json.type === 'EDS') {
    const config = json.eds_cluster_config as Record<string, unknown> | undefined;
    const serviceName = typeof config?.service_name === 'string' && config.service_name !== '' ? config.service_name : undefined;
    needs.push(serviceName ?? name);
  } else if (type === 'lds') {
    collectRouteNames(json, needs);
  }
  info = { name, needs };
  infoByContent.set(key, info);
  return info;
}

/** Every `rds.route_config_name` in a listener's JSON (filter chains, api_listener). */
function collectRouteNames(value: unknown, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectRouteNames(item, out);
    return;
  }
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
  for (const [key, item] of Object.entries(value)) {
    if (key === 'rds' && typeof item === 'object' && item !== null) {
      const name = (item as Record<string, unknown>).route_config_name;
      if (typeof name === 'string' && name !== '') out.push(name);
    }
    collectRouteNames(item, out);
  }
}

interface TypeState {
  /** Current interest (EDS/RDS); always empty for the wildcard types. */
  interest: readonly string[];
  /** Whether a request of this type was ever sent. */
  subscribed: boolean;
  lastNonce: string;
  acked: string;
  /** Names in the last response (sorted). */
  answered: readonly string[];
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

let totalResponses = 0;
let totalRequests = 0;
let totalBytes = 0;
let streamsOpen = 0;
let stopping = false;

const pendingSettled: [number, FleetVersions][] = [];
let reportTimer: NodeJS.Timeout | undefined;

function reportSettled(index: number, versions: FleetVersions): void {
  pendingSettled.push([index, versions]);
  reportTimer ??= setTimeout(() => {
    reportTimer = undefined;
    send({ type: 'settled', items: pendingSettled.splice(0) });
  }, 5);
}

class Proxy {
  readonly #spec: FleetProxySpec;
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<DiscoveryRequestInput, DiscoveryResponse>;
  readonly #types = new Map<Type, TypeState>(TYPES.map((t) => [t, { interest: [], subscribed: false, lastNonce: '', acked: '', answered: [] }]));
  #nodeSent = false;
  #reported = '';
  #failed = false;

  constructor(address: string, spec: FleetProxySpec) {
    this.#spec = spec;
    // A local subchannel pool: channels to one target with equal options would otherwise share one connection.
    this.#client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': -1,
    });
    this.#call = this.#client.makeBidiStreamRequest(SOTW_ADS_METHOD.path, SOTW_ADS_METHOD.requestSerialize, SOTW_ADS_METHOD.responseDeserialize);
    streamsOpen++;
    this.#call.on('data', (response: DiscoveryResponse) => this.#onResponse(response));
    this.#call.on('error', (error: Error) => this.#fail(`stream error: ${error.message}`));
    this.#call.on('end', () => this.#fail('the server ended the stream'));
    this.#request('cds');
    this.#request('lds');
  }

  #fail(message: string): void {
    if (this.#failed) return;
    this.#failed = true;
    streamsOpen--;
    if (!stopping) send({ type: 'error', index: this.#spec.index, message });
  }

  /** A request of `type`: the last nonce and ACKed version, and the current interest. */
  #request(type: Type): void {
    const state = this.#types.get(type)!;
    state.subscribed = true;
    const request: DiscoveryRequestInput = {
      type_url: TYPE_URLS[type],
      version_info: state.acked,
      response_nonce: state.lastNonce,
      resource_names: state.interest,
      ...(this.#nodeSent ? {} : { node: { id: this.#spec.nodeId, cluster: this.#spec.cluster, user_agent_name: 'envoy', user_agent_version: '1.31.0/fleet-bench' } }),
    };
    this.#nodeSent = true;
    totalRequests++;
    this.#call.write(request);
  }

  #onResponse(response: DiscoveryResponse): void {
    totalResponses++;
    const type = TYPE_OF.get(response.type_url);
    if (!type) return;
    const state = this.#types.get(type)!;
    const names: string[] = [];
    const needs = new Set<string>();
    for (const any of response.resources) {
      totalBytes += any.value.length;
      const info = resourceInfo(type, any.type_url, any.value);
      names.push(info.name);
      for (const need of info.needs) needs.add(need);
    }
    state.lastNonce = response.nonce;
    state.acked = response.version_info;
    state.answered = names.sort();
    // The ACK first, then the dependent subscription (Envoy resumes EDS/RDS after applying CDS/LDS).
    this.#request(type);
    const dependent: Type | undefined = type === 'cds' ? 'eds' : type === 'lds' ? 'rds' : undefined;
    if (dependent) {
      const dep = this.#types.get(dependent)!;
      const interest = [...needs].sort();
      if (!sameList(interest, dep.interest)) {
        dep.interest = interest;
        // Going from some names to none is an unsubscribe; from none to none sends nothing.
        if (interest.length > 0 || dep.subscribed) this.#request(dependent);
      }
    }
    this.#checkSettled();
  }

  #checkSettled(): void {
    const lds = this.#types.get('lds')!;
    const cds = this.#types.get('cds')!;
    if (lds.acked === '' || cds.acked === '') return;
    const versions: string[] = [lds.acked, cds.acked];
    for (const type of ['eds', 'rds'] as const) {
      const state = this.#types.get(type)!;
      if (state.interest.length === 0) versions.push('');
      else if (state.acked !== '' && sameList(state.answered, state.interest)) versions.push(state.acked);
      else return;
    }
    const key = versions.join(' ');
    if (key === this.#reported) return;
    this.#reported = key;
    reportSettled(this.#spec.index, versions as unknown as FleetVersions);
  }

  close(): void {
    this.#failed = true;
    this.#call.cancel();
    this.#client.close();
  }
}

const proxies: Proxy[] = [];
/** Proxies dialled per event-loop turn at start. */
const START_BATCH = 25;
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();

process.on('message', (message: ToFleetClient) => {
  switch (message.type) {
    case 'start': {
      // In batches, one per turn: this process keeps answering the first responses while it dials the rest.
      const specs = [...message.proxies];
      const dial = () => {
        for (const spec of specs.splice(0, START_BATCH)) proxies.push(new Proxy(message.address, spec));
        if (specs.length > 0) setImmediate(dial);
      };
      dial();
      break;
    }
    case 'stats': {
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      send({
        type: 'stats',
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        cpuUs: cpu.user + cpu.system,
        responses: totalResponses,
        requests: totalRequests,
        bytes: totalBytes,
        streamsOpen,
        loopMaxMs: loop.max / 1e6,
        loopP99Ms: loop.percentile(99) / 1e6,
      });
      if (message.reset) loop.reset();
      break;
    }
    case 'stop':
      stopping = true;
      for (const proxy of proxies) proxy.close();
      send({ type: 'stopped' });
      process.disconnect();
      setTimeout(() => process.exit(0), 50).unref();
      break;
  }
});
// The parent is gone (killed, crashed): leave no orphan.
process.on('disconnect', () => process.exit(stopping ? 0 : 1));
send({ type: 'ready', pid: process.pid });
