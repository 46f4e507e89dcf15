import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectChecker } from '../../../src/policies/mesh-health-check/compile.js';
import { registerPolicyCases } from '../../helpers/cases.js';
import { compileCase, registerGoldenCases } from '../../helpers/compile-cases.js';

registerPolicyCases('mesh-health-check');
registerGoldenCases('test/policies/mesh-health-check/cases', 'mesh-health-check');

test('mesh-health-check: the checker follows the protocol, tcp only as the fallback of a disabled one (Kuma selectHealthCheckType)', () => {
  const tcp = { send: 'cGluZw==' };
  assert.is(selectChecker('http', { http: {}, tcp }), 'http');
  assert.is(selectChecker('http2', { http: {} }), 'http');
  assert.is(selectChecker('http', { tcp }), undefined);
  assert.is(selectChecker('http', { http: { disabled: true }, tcp }), 'tcp');
  assert.is(selectChecker('grpc', { grpc: {}, http: {} }), 'grpc');
  assert.is(selectChecker('grpc', { grpc: { disabled: true }, tcp }), 'tcp');
  assert.is(selectChecker('tcp', { http: {}, tcp }), 'tcp');
  assert.is(selectChecker('kafka', { tcp }), 'tcp');
  assert.is(selectChecker('tcp', { tcp: { disabled: true } }), undefined);
});

test('mesh-health-check: a tcp check Kuma skips for an HTTP destination is reported GM404', () => {
  const compiled = compileCase(`# proxy: default.web-1
type: MeshHealthCheck
name: tcp-only
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        tcp: {}
`);
  assert.equal(compiled.xds.clusters.find((c) => c.name === 'backend')!.health_checks, undefined);
  assert.equal(compiled.notes.map((n) => n.code), ['GM404']);
  assert.match(compiled.notes[0]!.message, /tcp \(to backend\): backend is a http service/);
});

test('mesh-health-check: failTrafficOnPanic is reported GM404 when affinity tags balance by locality weight', () => {
  // given a zoned client whose backend cluster uses locality_weighted_lb_config
  const compiled = compileCase(`# proxy: default.client-1
type: Dataplane
name: client-1
mesh: default
networking:
  address: 10.0.1.10
  inbound:
    - port: 8080
      tags:
        kuma.io/service: client
        kuma.io/protocol: http
        kuma.io/zone: zone-a
        rack: r1
  outbound:
    - port: 10001
      tags:
        kuma.io/service: backend
---
type: MeshLoadBalancingStrategy
name: racks
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        localityAwareness:
          localZone:
            affinityTags:
              - key: rack
---
type: MeshHealthCheck
name: panic
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        failTrafficOnPanic: true
        http: {}
`);
  // then the oneof keeps the locality weighting, the check is still there, and the note explains
  const backend = compiled.xds.clusters.find((c) => c.name === 'backend')!;
  assert.equal(backend.common_lb_config, { locality_weighted_lb_config: {} });
  assert.is((backend.health_checks as unknown[]).length, 1);
  assert.equal(compiled.notes.map((n) => [n.code, n.kind]), [['GM404', 'MeshHealthCheck']]);
});

test.run();
