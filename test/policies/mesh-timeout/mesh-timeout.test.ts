import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { XdsMessage } from '../../../src/core/xds-json.js';
import { meshTimeoutXds } from '../../../src/policies/mesh-timeout/compile.js';
import { registerPolicyCases } from '../../helpers/cases.js';
import { compileCase, registerGoldenCases, outboundHookContext } from '../../helpers/compile-cases.js';

registerPolicyCases('mesh-timeout');
registerGoldenCases('test/policies/mesh-timeout/cases', 'mesh-timeout');

const toBackend = (conf: string) => `# proxy: default.web-1
type: MeshTimeout
name: t
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

test('mesh-timeout: 0 disables: written as 0s where absence means a default, left out where absence means no limit', () => {
  const compiled = compileCase(toBackend('idleTimeout: "0"\nhttp:\n  requestTimeout: "0"\n  streamIdleTimeout: "0"\n  maxStreamDuration: "0"\n  requestHeadersTimeout: "0"'));
  const backend = compiled.xds.clusters.find((c) => c.name === 'backend')!;
  const options = (backend.typed_extension_protocol_options as Record<string, XdsMessage>)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']!;
  assert.equal(options.common_http_protocol_options, { idle_timeout: '0s' });
  assert.is(backend.connect_timeout, '5s', "Kuma's default connect timeout");
  const route = ((compiled.xds.routes[0]!.virtual_hosts as XdsMessage[])[0]!.routes as XdsMessage[])[0]!;
  assert.equal(route.route, { cluster: 'backend', timeout: '0s', idle_timeout: '0s' });
});

test('mesh-timeout: the cluster and route hooks are idempotent', () => {
  const compiled = compileCase(toBackend('connectionTimeout: 3s\nhttp:\n  maxConnectionDuration: 1h'));
  const ctx = outboundHookContext(compiled, 'MeshTimeout');
  const backend = compiled.xds.clusters.find((c) => c.name === 'backend')!;
  const again = structuredClone(backend);
  meshTimeoutXds.cluster!(again, ctx);
  assert.equal(again, backend);
  const route = ((compiled.xds.routes[0]!.virtual_hosts as XdsMessage[])[0]!.routes as XdsMessage[])[0]!;
  const routeAgain = structuredClone(route);
  meshTimeoutXds.route!(routeAgain, ctx);
  assert.equal(routeAgain, route);
});

test.run();
