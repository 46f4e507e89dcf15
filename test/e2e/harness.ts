// End-to-end harness: echo backends with behaviours, the policy folder they are described in, and
// xDS client drivers (one subprocess per client, JSON lines over stdin/stdout).
import * as grpc from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Assertion } from 'uvu/assert';
import { stringify } from 'yaml';

/** The one method every backend serves: any request bytes in, the backend's name out. */
export const ECHO_METHOD = '/demo.Echo/Who';

/** What a backend does with each RPC. */
export type Behaviour =
  | { readonly kind: 'answer' }
  | { readonly kind: 'sleep'; readonly ms: number }
  /** UNAVAILABLE the first time it sees a request body (each driver RPC sends a unique one), an answer on a retry. */
  | { readonly kind: 'fail-first-attempt' };

export interface BackendSpec {
  readonly name: string;
  readonly service: string;
  /** Inbound tags besides kuma.io/service and kuma.io/protocol (e.g. a version). */
  readonly tags?: Readonly<Record<string, string>>;
  readonly behaviour?: Behaviour;
}

export interface Backend extends BackendSpec {
  readonly port: number;
  /** RPCs received, and how many of them it failed; counters only grow. */
  readonly stats: { calls: number; failures: number };
  close(): void;
}

const identity = (bytes: Buffer) => bytes;
const ECHO_SERVICE: grpc.ServiceDefinition = {
  Who: {
    path: ECHO_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** Starts a grpc-js server on 127.0.0.1 (any free port) serving ECHO_METHOD with `spec.behaviour`. */
export async function startBackend(spec: BackendSpec): Promise<Backend> {
  const behaviour = spec.behaviour ?? { kind: 'answer' };
  const stats = { calls: 0, failures: 0 };
  const seen = new Set<string>();
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, {
    Who: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      stats.calls++;
      const answer = () => callback(null, Buffer.from(spec.name));
      if (behaviour.kind === 'sleep') {
        setTimeout(answer, behaviour.ms);
      } else if (behaviour.kind === 'fail-first-attempt' && !seen.has(call.request.toString())) {
        seen.add(call.request.toString());
        stats.failures++;
        callback({ code: grpc.status.UNAVAILABLE, details: `${spec.name} fails the first attempt of every RPC` });
      } else {
        answer();
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { ...spec, port, stats, close: () => server.forceShutdown() };
}

/** A resource in the universal format, as written to the policy folder. */
export type ResourceDoc = Readonly<Record<string, unknown>>;

/**
 * Writes the policy folder: `mesh.yaml` (the Mesh, a Dataplane per backend, and the proxyless
 * client `clientName` with no outbounds, so it may dial every service) and `policies.yaml` (the
 * given policies; removed when there are none). Same input, same bytes.
 */
export async function writePolicyFolder(dir: string, layout: { readonly backends: readonly Backend[]; readonly clientName: string }, policies: readonly ResourceDoc[]): Promise<void> {
  const dataplanes = layout.backends.map((b) => ({
    type: 'Dataplane',
    name: b.name,
    mesh: 'default',
    networking: { address: '127.0.0.1', inbound: [{ port: b.port, tags: { 'kuma.io/service': b.service, 'kuma.io/protocol': 'grpc', ...b.tags } }] },
  }));
  const client = { type: 'Dataplane', name: layout.clientName, mesh: 'default', labels: { 'gitmesh.io/proxyless': 'true' }, networking: { address: '127.0.0.1' } };
  const documents = (docs: readonly ResourceDoc[]) => docs.map((doc) => stringify(doc)).join('---\n');
  await writeFile(join(dir, 'mesh.yaml'), documents([{ type: 'Mesh', name: 'default' }, ...dataplanes, client]));
  if (policies.length > 0) await writeFile(join(dir, 'policies.yaml'), documents(policies));
  else await rm(join(dir, 'policies.yaml'), { force: true });
}

/** A gRPC xDS bootstrap (GRPC_XDS_BOOTSTRAP_CONFIG) for node `nodeId` of a control plane at `address`. */
export function bootstrapFor(address: string, nodeId: string): string {
  return JSON.stringify({
    xds_servers: [{ server_uri: address, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    // gRPC clients need a locality, even an empty one (XDS.md).
    node: { id: nodeId, locality: {} },
  });
}

/** One driver command: `n` unary RPCs of ECHO_METHOD to `target`, `concurrency` at a time, each with a unique request body. */
export interface CallCommand {
  readonly target: string;
  readonly n: number;
  readonly concurrency?: number;
  /** Each RPC's own deadline. */
  readonly timeoutMs?: number;
  readonly waitForReady?: boolean;
}

/** What a driver answers to a CallCommand. */
export interface CallResult {
  /** Successful RPCs by the backend name they returned. */
  readonly answers: Readonly<Record<string, number>>;
  /** RPCs by final status code name (OK, UNAVAILABLE, DEADLINE_EXCEEDED, ...). */
  readonly codes: Readonly<Record<string, number>>;
  /** The slowest RPC of each status code, in ms. */
  readonly maxMs: Readonly<Record<string, number>>;
  /** One status message per failing code. */
  readonly details: Readonly<Record<string, string>>;
  /** Wall time of the batch. */
  readonly ms: number;
}

/** The wire form of a CallCommand (what both drivers read). */
export interface DriverCommand extends CallCommand {
  readonly op: 'call';
  readonly method: string;
}

/** How to start one client's driver, given the bootstrap it must use. */
export interface DriverProcess {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export interface Driver {
  /** What the driver says it runs (client and version). */
  readonly client: string;
  call(command: CallCommand): Promise<CallResult>;
  /** Ends the driver (stdin closed, then SIGKILL if it lingers). Idempotent. */
  close(): Promise<void>;
}

const DRIVER_START_MS = 20_000;
/** E2E_DRIVER_STDERR=1 passes the drivers' stderr through (with GRPC_TRACE and GRPC_VERBOSITY=DEBUG set, the clients' xDS traces). */
const SHOW_DRIVER_STDERR = process.env.E2E_DRIVER_STDERR === '1';

/**
 * Spawns a driver and waits for its `{"ready": {"client": ...}}` line. Commands are answered in
 * order, one line each. Rejects (with the driver's stderr) if it exits or never gets ready.
 */
export async function startDriver(spec: DriverProcess, bootstrap: string): Promise<Driver> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap };
  delete env.GRPC_XDS_BOOTSTRAP;
  const child = spawn(spec.command, [...spec.args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    if (SHOW_DRIVER_STDERR) process.stderr.write(chunk);
  });
  const waiting: { resolve(line: unknown): void; reject(error: Error): void }[] = [];
  let exited: Error | undefined;
  const fail = (error: Error) => {
    exited ??= error;
    for (const w of waiting.splice(0)) w.reject(error);
  };
  child.on('error', (error) => fail(new Error(`driver ${spec.command} could not start: ${error.message}`)));
  child.on('exit', (code, signal) => fail(new Error(`driver ${spec.command} exited (code ${code}, signal ${signal}); stderr:\n${stderr}`)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      fail(new Error(`driver wrote a line that is not JSON: ${line}`));
      return;
    }
    waiting.shift()?.resolve(message);
  });
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      if (exited) reject(exited);
      else waiting.push({ resolve, reject });
    });
  const ready = await withTimeout(next(), DRIVER_START_MS, () => `driver ${spec.command} not ready after ${DRIVER_START_MS} ms; stderr:\n${stderr}`);
  const client = (ready as { ready?: { client?: string } }).ready?.client ?? 'unknown client';
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;
  return {
    client,
    call(command) {
      const wire: DriverCommand = { op: 'call', method: ECHO_METHOD, ...command };
      const run = chain.then(() => {
        const answer = next();
        child.stdin.write(`${JSON.stringify(wire)}\n`);
        return answer;
      });
      chain = run.catch(() => undefined);
      return run.then((answer) => {
        const error = (answer as { error?: string }).error;
        if (error !== undefined) throw new Error(`driver failed ${JSON.stringify(wire)}: ${error}`);
        return answer as CallResult;
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `probe` until it returns without a failed assertion, 100 ms apart, for at most
 * `timeoutMs`; then throws its last assertion, prefixed with `what` (what was awaited). Any other
 * error (a driver gone) is thrown at once.
 */
export async function eventually<T>(what: string, probe: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (!(error instanceof Assertion)) throw error;
      if (Date.now() >= deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms; last observation: ${error.message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The proxyless grpc-js client (@grpc/grpc-js-xds) as a driver process (drivers/grpc-js-xds-driver.ts). */
export const GRPC_JS_XDS_DRIVER: DriverProcess = {
  command: process.execPath,
  args: ['--import', 'tsx', fileURLToPath(new URL('./drivers/grpc-js-xds-driver.ts', import.meta.url))],
};

/**
 * A TCP port free on 127.0.0.1 now (bound to port 0, then released): for a server that must come
 * back on the same port after a restart. Another process could take it meanwhile; tests accept that.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** GET `url` and parse its JSON answer; throws (not an assertion) on a non-2xx status. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** How a test push delivery is signed: with a secret (HMAC-SHA256 of the body), a given header, or not at all. */
export type WebhookSigning = { readonly secret: string } | { readonly signature: string } | 'unsigned';

/**
 * POSTs a GitHub `push` delivery (`{"ref": "refs/heads/BRANCH", "after": SHA}`) to `admin`/webhook
 * (`admin` as `http://host:port`). Resolves with the status and the parsed body (null when empty).
 */
export async function postPushWebhook(admin: string, delivery: { readonly after: string; readonly branch?: string; readonly signing: WebhookSigning }): Promise<{ status: number; body: unknown }> {
  const body = JSON.stringify({ ref: `refs/heads/${delivery.branch ?? 'main'}`, after: delivery.after });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `test-${Date.now()}` };
  const { signing } = delivery;
  if (signing !== 'unsigned') headers['x-hub-signature-256'] = 'secret' in signing ? `sha256=${createHmac('sha256', signing.secret).update(body).digest('hex')}` : signing.signature;
  const res = await fetch(`${admin}/webhook`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

/** The line of `weight:` in echoRouteYaml (where a schema error is planted). */
export const ECHO_ROUTE_WEIGHT_LINE = 22;

/**
 * A MeshHTTPRoute `echo-route` (policies/route.yaml in the GitOps tests) sending every RPC to echo
 * to the backends tagged `version: VERSION`, written by hand so its lines are known: `weight`
 * is on line ECHO_ROUTE_WEIGHT_LINE (pass e.g. `many` to make the file fail its schema there).
 */
export function echoRouteYaml(version: string, weight = '100'): string {
  return `type: MeshHTTPRoute
name: echo-route
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: echo
      rules:
        - matches:
            - path:
                type: PathPrefix
                value: /
          default:
            backendRefs:
              - kind: MeshServiceSubset
                name: echo
                tags:
                  version: ${version}
                weight: ${weight}
`;
}
