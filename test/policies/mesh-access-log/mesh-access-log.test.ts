import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { XdsMessage } from '../../../src/core/xds-json.js';
import { meshAccessLogXds } from '../../../src/policies/mesh-access-log/compile.js';
import { registerPolicyCases } from '../../helpers/cases.js';
import { compileCase, registerGoldenCases, outboundHookContext } from '../../helpers/compile-cases.js';

registerPolicyCases('mesh-access-log');
registerGoldenCases('test/policies/mesh-access-log/cases', 'mesh-access-log');

test('mesh-access-log: no Kuma operator reaches Envoy, and the outbound hooks are idempotent', () => {
  const compiled = compileCase(readFileSync('test/policies/mesh-access-log/cases/golden-outbound-envoy.input.yaml', 'utf8'));
  assert.not.match(JSON.stringify(compiled.xds.listeners), /%KUMA_/);
  const ctx = outboundHookContext(compiled, 'MeshAccessLog', { to: 'redis' });
  const listener = compiled.xds.listeners.find((l) => l.name === 'outbound:127.0.0.1:10003')!;
  const tcpProxy = ((listener.filter_chains as XdsMessage[])[0]!.filters as XdsMessage[])[0]!.typed_config as XdsMessage;
  const again = structuredClone(tcpProxy);
  meshAccessLogXds.outboundTcpProxy!(again, ctx);
  assert.equal(again, tcpProxy);
  assert.is((again.access_log as XdsMessage[]).length, 2);
});

test.run();
