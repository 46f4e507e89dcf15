import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { percent } from '../../../src/policies/mesh-circuit-breaker/compile.js';
import { registerPolicyCases } from '../../helpers/cases.js';
import { compileCase, registerGoldenCases } from '../../helpers/compile-cases.js';

registerPolicyCases('mesh-circuit-breaker');
registerGoldenCases('test/policies/mesh-circuit-breaker/cases', 'mesh-circuit-breaker');

test('mesh-circuit-breaker: a percentage is an envoy.type.v3.Percent, 0% the empty message', () => {
  assert.equal(percent('12.5'), { value: 12.5 });
  assert.equal(percent(30), { value: 30 });
  assert.equal(percent(0), {});
});

test('mesh-circuit-breaker: a gRPC client with only consecutive detectors gets no outlier detection (it would run success rate by default)', () => {
  const compiled = compileCase(`# proxy: default.web-1
# flavour: grpc
type: MeshCircuitBreaker
name: cb
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: Mesh
      default:
        outlierDetection:
          detectors:
            gatewayFailures:
              consecutive: 3
`);
  assert.equal(compiled.xds.clusters.find((c) => c.name === 'backend')!.outlier_detection, undefined);
  assert.equal(compiled.notes.map((n) => n.code), ['GM401']);
});

test.run();
