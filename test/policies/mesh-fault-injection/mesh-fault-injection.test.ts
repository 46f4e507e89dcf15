import { test } from 'uvu';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import type { XdsMessage } from '../../../src/core/xds-json.js';
import { fractionalPercent, meshFaultInjectionXds } from '../../../src/policies/mesh-fault-injection/compile.js';
import { registerPolicyCases } from '../../helpers/cases.js';
import { compileCase, registerGoldenCases, outboundHookContext } from '../../helpers/compile-cases.js';

registerPolicyCases('mesh-fault-injection');
registerGoldenCases('test/policies/mesh-fault-injection/cases', 'mesh-fault-injection');

test('mesh-fault-injection: percentages become exact FractionalPercents, HUNDRED left out', () => {
  assert.equal(fractionalPercent(10), { numerator: 10 });
  assert.equal(fractionalPercent('100.0'), { numerator: 100 });
  assert.equal(fractionalPercent('12.5'), { numerator: 1250, denominator: 'TEN_THOUSAND' });
  assert.equal(fractionalPercent('0.001'), { numerator: 10, denominator: 'MILLION' });
  assert.equal(fractionalPercent('12.34567'), { numerator: 123456, denominator: 'MILLION' });
  assert.equal(fractionalPercent(0), {});
});

test('mesh-fault-injection: the gRPC client HCM hook is idempotent and keeps the router last', () => {
  const text = readFileSync('test/policies/mesh-fault-injection/cases/golden-outbound-grpc.input.yaml', 'utf8');
  const compiled = compileCase(text);
  const ctx = outboundHookContext(compiled, 'MeshFaultInjection');
  const listener = compiled.xds.listeners.find((l) => l.name === 'backend')!;
  const hcm = (listener.api_listener as XdsMessage).api_listener as XdsMessage;
  const again = structuredClone(hcm);
  meshFaultInjectionXds.outboundHcm!(again, ctx);
  assert.equal(again, hcm);
  const names = (again.http_filters as XdsMessage[]).map((f) => f.name);
  assert.equal(names, ['envoy.filters.http.fault', 'envoy.filters.http.fault.1', 'envoy.filters.http.router']);
});

test.run();
