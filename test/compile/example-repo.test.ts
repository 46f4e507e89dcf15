// example-repo compiled: goldens for proxies of both flavours, every resource read alike by the upstream protos, gRPC clients accept the proxyless ones, every snapshot consistent.
//
// Policy kinds gain compile hooks over time, so these goldens move with them: review the diff,
// then rewrite them with UPDATE_GOLDEN=1 node scripts/test.mjs example-repo.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildMeshContexts, compileProxy, findDataplane, type CompiledProxy } from '../../src/compile/compile.js';
import { decodeResource, encodeResource } from '../../src/xds/encode.js';
import { protoFiles, protoRoot, protosDir } from '../../src/xds/protos.js';
import { checkConsistent, EncodeCache, makeSnapshot } from '../../src/xds/snapshot.js';
import { PUSH_ORDER, RESOURCE_KEYS, TYPE_URLS, type XdsTypeName } from '../../src/xds/type-urls.js';
import { assertGolden } from '../helpers/golden.js';
import { grpcClientAccepts } from '../helpers/grpc-oracle.js';
import { loadUpstreamRoot } from '../xds/upstream-root.js';
import { exampleFiles, validResources } from './example-repo-compile.js';

// grpc-js-xds accepts RBAC filters only behind this flag (XDS.md). It reads it when first loaded,
// which the oracle does lazily, at its first call in a test, after every test file was imported.
process.env.GRPC_XDS_EXPERIMENTAL_RBAC = 'true';

const GOLDEN_DIR = fileURLToPath(new URL('./example-repo', import.meta.url));

/** The proxies with goldens: each flavour, HTTP, gRPC and TCP inbounds, explicit outbounds and transparent proxying. */
const GOLDEN_PROXIES: readonly { readonly id: string; readonly flavour: 'envoy' | 'grpc'; readonly why: string }[] = [
  { id: 'default.frontend-1', flavour: 'envoy', why: 'HTTP sidecar with a servicePort, one outbound' },
  { id: 'default.api-1', flavour: 'envoy', why: 'HTTP sidecar calling HTTP, gRPC and TCP services' },
  { id: 'default.orders-v1-1', flavour: 'envoy', why: 'HTTP sidecar, the v1 side of the canary split' },
  { id: 'default.orders-v2-1', flavour: 'envoy', why: 'transparent proxying trimmed by reachableServices' },
  { id: 'default.payments-1', flavour: 'envoy', why: 'gRPC sidecar' },
  { id: 'default.inventory-1', flavour: 'envoy', why: 'gRPC sidecar calling TCP postgres' },
  { id: 'default.postgres-1', flavour: 'envoy', why: 'TCP sidecar, the v15 side of the TCP route' },
  { id: 'default.redis-1', flavour: 'envoy', why: 'TCP sidecar with no outbound' },
  { id: 'default.inventory-sync-1', flavour: 'grpc', why: 'proxyless gRPC client' },
];

const GOLDEN_TYPES: readonly XdsTypeName[] = ['lds', 'cds', 'rds', 'eds', 'sds'];

// Loading and validating is done once here; compiling is done in each test, so one failing
// proxy fails its own tests only.
const contexts = buildMeshContexts(validResources(await exampleFiles()));
const ALL_PROXIES = [...contexts.values()].flatMap((ctx) => ctx.dataplanes.map((dp) => `${ctx.mesh}.${dp.name}`)).sort();

const compiled = new Map<string, CompiledProxy>();
function compile(id: string): CompiledProxy {
  let result = compiled.get(id);
  if (!result) {
    const found = findDataplane(contexts, id);
    if (!found) throw new Error(`example-repo has no Dataplane ${id}`);
    compiled.set(id, (result = compileProxy(found.ctx, found.dataplane)));
  }
  return result;
}

const OTEL_FILE = 'opentelemetry/proto/common/v1/common.proto';
let upstreamRoot: protobuf.Root | undefined;
/** The upstream Envoy definitions (grpc-js-xds's deps) for every file of protos/, loaded on first use. */
function upstream(): protobuf.Root {
  upstreamRoot ??= loadUpstreamRoot(protoFiles(protosDir()).filter((file) => file !== OTEL_FILE), { [OTEL_FILE]: join(protosDir(), OTEL_FILE) });
  return upstreamRoot;
}

/** protobufjs's reading of `bytes` through `root`, Any contents expanded: what a peer built on that root sees. */
function seenBy(root: protobuf.Root, typeUrl: string, bytes: Uint8Array): unknown {
  const type = root.lookupType(`.${typeUrl.slice(typeUrl.lastIndexOf('/') + 1)}`);
  return type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String, json: true });
}

function resourceName(json: Record<string, unknown>): string {
  return String(json.name ?? json.cluster_name);
}

test('example-repo holds every proxy the goldens cover, with the flavour they expect', () => {
  for (const { id, flavour } of GOLDEN_PROXIES) {
    assert.ok(ALL_PROXIES.includes(id), `no Dataplane ${id} in example-repo`);
    assert.is(compile(id).resolved.proxy.flavour, flavour, id);
  }
});

for (const { id, why } of GOLDEN_PROXIES) {
  test(`${id} (${why}) compiles to its goldens`, () => {
    // given example-repo, when the proxy is compiled
    const { resolved, xds, notes } = compile(id);
    // then the IR, the notes and each type match the goldens
    const base = join(GOLDEN_DIR, id.slice(id.indexOf('.') + 1));
    assertGolden(`${base}.rules.golden.yaml`, resolved);
    assertGolden(`${base}.notes.golden.yaml`, notes);
    for (const type of GOLDEN_TYPES) assertGolden(`${base}.${RESOURCE_KEYS[type]}.golden.yaml`, xds[RESOURCE_KEYS[type]]);
  });
}

for (const id of ALL_PROXIES) {
  test(`${id}: every resource encodes, decodes back to itself, and the upstream Envoy protos read it as ours do`, () => {
    const { xds } = compile(id);
    for (const type of PUSH_ORDER) {
      const typeUrl = TYPE_URLS[type];
      for (const json of xds[RESOURCE_KEYS[type]]) {
        const what = `${id} ${RESOURCE_KEYS[type]} ${resourceName(json)}`;
        // given its bytes
        const bytes = encodeResource(typeUrl, json);
        // then our codec gives back the compiled JSON, which is therefore canonical proto3 JSON
        assert.equal(decodeResource(typeUrl, bytes), json, `${what} is not in canonical proto3 JSON form`);
        // and the upstream definitions read the same message, and write the same bytes back
        assert.equal(seenBy(upstream(), typeUrl, bytes), seenBy(protoRoot(), typeUrl, bytes), `${what} reads differently upstream`);
        const upstreamType = upstream().lookupType(`.${typeUrl.slice(typeUrl.lastIndexOf('/') + 1)}`);
        assert.equal(new Uint8Array(upstreamType.encode(upstreamType.decode(bytes)).finish()), bytes, `${what} re-encodes differently upstream`);
      }
    }
  });

  test(`${id}: its snapshot is consistent`, () => {
    const { xds } = compile(id);
    const snapshot = makeSnapshot(xds, new EncodeCache());
    const shown = (list: readonly { message: string }[]) => list.map((d) => d.message).join('\n');
    assert.is(shown(checkConsistent(xds, { proxy: id })), '');
    assert.is(shown(checkConsistent(snapshot, { proxy: id })), '');
  });
}

/** The proxy's xDS as a proxyless gRPC client or xDS-enabled gRPC server would get it (`--flavour grpc`). */
function compileAsGrpc(id: string): CompiledProxy {
  const found = findDataplane(contexts, id)!;
  return compileProxy(found.ctx, found.dataplane, { flavour: 'grpc' });
}

/**
 * Runs every resource of `xds` through grpc-js-xds's own decoders and validators. With
 * `announced`, a resource may be rejected when a GM401 note says the client will NACK it (a
 * policy meant for Envoy, compiled here for gRPC on purpose).
 */
function assertGrpcAccepts(id: string, { xds, notes }: CompiledProxy, announced = false): void {
  const nacked = notes.filter((n) => n.code === 'GM401' && /NACK/.test(n.message)).map((n) => n.message);
  for (const type of ['lds', 'rds', 'cds', 'eds'] as const) {
    for (const json of xds[RESOURCE_KEYS[type]]) {
      const verdict = grpcClientAccepts(TYPE_URLS[type], encodeResource(TYPE_URLS[type], json));
      if (!verdict.ok && announced && nacked.some((m) => m.includes(`to ${resourceName(json)}`))) continue;
      assert.ok(verdict.ok, `a gRPC client would reject ${id} ${RESOURCE_KEYS[type]} ${resourceName(json)}: ${verdict.error}`);
    }
  }
}

for (const id of ALL_PROXIES) {
  test(`${id}: when it is proxyless, a gRPC client accepts every resource`, () => {
    const proxy = compile(id);
    if (proxy.resolved.proxy.flavour === 'grpc') assertGrpcAccepts(id, proxy);
  });

  test(`${id}: compiled for the grpc flavour (client and xDS server listeners), gRPC accepts every resource and the snapshot is consistent`, () => {
    const proxy = compileAsGrpc(id);
    assertGrpcAccepts(id, proxy, true);
    assert.is(checkConsistent(makeSnapshot(proxy.xds, new EncodeCache()), { proxy: id }).map((d) => d.message).join('\n'), '');
  });
}

test('example-repo has a proxyless proxy, so the gRPC oracle above ran', () => {
  assert.ok(ALL_PROXIES.some((id) => compile(id).resolved.proxy.flavour === 'grpc'));
});

test.run();
