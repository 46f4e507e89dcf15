import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { buildMeshContexts, findDataplane } from '../../../src/compile/compile.js';
import type { XdsMessage } from '../../../src/core/xds-json.js';
import { validateFiles } from '../../../src/policies/validate-files.js';
import { meshLoadBalancingStrategyXds } from '../../../src/policies/mesh-load-balancing-strategy/compile.js';
import { encodeResource } from '../../../src/xds/encode.js';
import { TYPE_URLS } from '../../../src/xds/type-urls.js';
import { registerPolicyCases } from '../../helpers/cases.js';
import { compileCase, registerGoldenCases, outboundHookContext } from '../../helpers/compile-cases.js';
import { grpcClientAccepts } from '../../helpers/grpc-oracle.js';

registerPolicyCases('mesh-load-balancing-strategy');
registerGoldenCases('test/policies/mesh-load-balancing-strategy/cases', 'mesh-load-balancing-strategy');

const policy = (name: string, conf: string) => `
type: MeshLoadBalancingStrategy
name: ${name}
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
${conf.replace(/^/gm, '        ')}`;

const cluster = (compiled: ReturnType<typeof compileCase>, name: string) => compiled.xds.clusters.find((c) => c.name === name)!;

test('mesh-load-balancing-strategy: a LeastRequest cluster is still sent to a proxyless gRPC client, which rejects it, and GM401 says so', () => {
  // given a proxyless client whose destination asks for LeastRequest
  const compiled = compileCase(`# proxy: default.web-1\n# flavour: grpc\n${policy('lr', 'loadBalancer:\n  type: LeastRequest')}`);
  // then the cluster carries LEAST_REQUEST (later NACK-rollback tests rely on it)
  const backend = cluster(compiled, 'backend');
  assert.is(backend.lb_policy, 'LEAST_REQUEST');
  // and a gRPC client would NACK it
  const verdict = grpcClientAccepts(TYPE_URLS.cds, encodeResource(TYPE_URLS.cds, backend));
  assert.not.ok(verdict.ok);
  assert.match(verdict.error ?? '', /lb_policy/);
  // and the note names the field and the rejection
  assert.equal(
    compiled.notes.map((n) => [n.code, n.message]),
    [['GM401', 'loadBalancer LeastRequest (to backend): proxyless gRPC clients accept only RoundRobin and RingHash and reject (NACK) this cluster']],
  );
});

test('mesh-load-balancing-strategy: hash policies without a hashing load balancer are reported GM404', () => {
  const compiled = compileCase(`# proxy: default.web-1\n${policy('h', 'hashPolicies:\n  - type: Header\n    header:\n      name: x-user')}`);
  assert.equal(compiled.notes.map((n) => n.code), ['GM404']);
  assert.match(compiled.notes[0]!.message, /the load balancer is RoundRobin/);
});

test('mesh-load-balancing-strategy: without a zone on the proxy, localities are left alone and explicit locality rules are reported GM404', () => {
  // given web-1, whose inbound has no kuma.io/zone tag
  const compiled = compileCase(`# proxy: default.web-1\n${policy('loc', 'localityAwareness:\n  crossZone:\n    failover:\n      - to:\n          type: Any')}`);
  // then the endpoints are as without the policy
  const endpoints = compiled.xds.endpoints.find((e) => e.cluster_name === 'backend')!;
  assert.equal(endpoints.policy, undefined);
  assert.ok((endpoints.endpoints as XdsMessage[]).every((l) => l.priority === undefined));
  assert.equal(compiled.notes.map((n) => n.code), ['GM404']);
  assert.match(compiled.notes[0]!.message, /zone is unknown/);
});

test('mesh-load-balancing-strategy: disabled locality awareness leaves the endpoints and the cluster alone', () => {
  const compiled = compileCase(`# proxy: default.web-1\n${policy('off', 'localityAwareness:\n  disabled: true\n  localZone:\n    affinityTags:\n      - key: rack')}`);
  assert.equal(cluster(compiled, 'backend').common_lb_config, undefined);
  assert.equal(compiled.notes, []);
});

test('mesh-load-balancing-strategy: the hooks are idempotent', () => {
  // given a compiled locality-aware cluster, its endpoints and its route
  const text = `# proxy: default.web-1\n${policy('ring', 'loadBalancer:\n  type: Maglev\n  maglev:\n    tableSize: 65537\nhashPolicies:\n  - type: Cookie\n    cookie:\n      name: s')}`;
  const compiled = compileCase(text);
  const backend = structuredClone(cluster(compiled, 'backend'));
  const route = structuredClone((compiled.xds.routes[0]!.virtual_hosts as XdsMessage[])[0]!.routes as XdsMessage[])[0]!;
  const ctx = outboundHookContext(compiled, 'MeshLoadBalancingStrategy');
  // when the hooks run again on their own output
  const again = structuredClone(backend);
  meshLoadBalancingStrategyXds.cluster!(again, ctx);
  const routeAgain = structuredClone(route);
  meshLoadBalancingStrategyXds.route!(routeAgain, ctx);
  // then nothing changes
  assert.equal(again, backend);
  assert.equal(routeAgain, route);
  assert.is(backend.lb_policy, 'MAGLEV');
  assert.equal(backend.maglev_lb_config, { table_size: '65537' });
});

test('mesh-load-balancing-strategy: re-placing locality-aware endpoints gives the same assignment', () => {
  // given the locality golden case compiled
  const text = readFileSync('test/policies/mesh-load-balancing-strategy/cases/golden-locality-envoy.input.yaml', 'utf8');
  const compiled = compileCase(text);
  const { resources } = validateFiles({
    files: [
      { path: 'base-mesh.yaml', bytes: readFileSync('test/fixtures/base-mesh.yaml') },
      { path: 'case.yaml', bytes: new TextEncoder().encode(text) },
    ],
  });
  const { ctx: mesh } = findDataplane(buildMeshContexts(resources), 'default.client-1')!;
  const assignment = compiled.xds.endpoints.find((e) => e.cluster_name === 'backend')!;
  const notes: string[] = [];
  const ctx = outboundHookContext(compiled, 'MeshLoadBalancingStrategy', { to: 'backend', report: (_code, message) => void notes.push(message), service: mesh.services.get('backend') });
  // when the endpoints hook runs on its own output
  const again = structuredClone(assignment);
  meshLoadBalancingStrategyXds.endpoints!(again, ctx);
  // then the assignment is unchanged: priorities 0 (local, rack=r1 weighted 9), 1 (zone-c), 2 (zone-b)
  assert.equal(again, assignment);
  assert.equal(notes, []);
  assert.equal(
    (assignment.endpoints as XdsMessage[]).map((l) => [l.priority ?? 0, l.locality, l.load_balancing_weight]),
    [
      [0, {}, 1],
      [0, { zone: 'zone-a' }, 1],
      [0, { zone: 'zone-a', sub_zone: 'rack=r1' }, 9],
      [1, { zone: 'zone-c' }, 1],
      [2, { zone: 'zone-b' }, 1],
    ],
  );
});

test.run();
