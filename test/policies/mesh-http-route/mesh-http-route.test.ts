import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshHTTPRouteMatch, MeshHTTPRouteRule } from '../../../src/generated/mesh-http-route.js';
import { compareMatch, httpRouteOutboundConf, mergeHTTPRouteConfs } from '../../../src/policies/mesh-http-route/compile.js';
import { registerPolicyCases } from '../../helpers/cases.js';
import { registerGoldenCases } from '../../helpers/compile-cases.js';

registerPolicyCases('mesh-http-route');
registerGoldenCases('test/policies/mesh-http-route/cases', 'mesh-http-route');

const prefix = (value: string): MeshHTTPRouteMatch => ({ path: { type: 'PathPrefix', value } });
const rule = (match: MeshHTTPRouteMatch, name: string): MeshHTTPRouteRule => ({ matches: [match], default: { backendRefs: [{ kind: 'MeshService', name }] } });
const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object') for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
};
const backendOf = (r: MeshHTTPRouteRule | undefined) => r?.default.backendRefs?.[0]?.name;

test('mesh-http-route: equal matches keep the order of the higher-priority policy, then written order', () => {
  // given two confs, lowest priority first, whose rules tie on specificity
  const low = deepFreeze(httpRouteOutboundConf({ rules: [rule({ headers: [{ name: 'a', value: '1' }], ...prefix('/x') }, 'low-a'), rule(prefix('/y'), 'low-y')] }));
  const high = deepFreeze(httpRouteOutboundConf({ rules: [rule({ headers: [{ name: 'b', value: '1' }], ...prefix('/x') }, 'high-b'), rule(prefix('/z'), 'high-z')] }));
  // when they merge
  const merged = mergeHTTPRouteConfs([low, high]);
  // then the higher-priority policy's rule comes first among equals, inputs untouched
  assert.equal(merged.rules.map(backendOf), ['high-b', 'low-a', 'high-z', 'low-y']);
});

test('mesh-http-route: rules with equal matches merge, the higher priority winning field by field', () => {
  const low = deepFreeze(httpRouteOutboundConf({
    rules: [{ matches: [prefix('/api')], default: { filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['server'] } }], backendRefs: [{ kind: 'MeshService', name: 'low' }] } }],
  }));
  const high = deepFreeze(httpRouteOutboundConf({ rules: [rule(prefix('/api'), 'high')] }));
  const merged = mergeHTTPRouteConfs([low, high]);
  assert.is(merged.rules.length, 1);
  assert.is(backendOf(merged.rules[0]), 'high');
  assert.equal(merged.rules[0]?.default.filters?.[0]?.type, 'ResponseHeaderModifier');
});

test('mesh-http-route: a rule with several matches becomes one entry per match, each sorted on its own', () => {
  const conf = httpRouteOutboundConf({ rules: [{ matches: [prefix('/a'), { path: { type: 'Exact', value: '/b' } }], default: {} }, rule(prefix('/long'), 'long')] });
  const merged = mergeHTTPRouteConfs([conf]);
  assert.equal(merged.rules.map((r) => r.matches[0]?.path?.value), ['/b', '/long', '/a']);
});

test('mesh-http-route: match precedence follows Kuma compare.go', () => {
  const ordered: MeshHTTPRouteMatch[] = [
    { path: { type: 'Exact', value: '/a' }, method: 'GET' },
    { path: { type: 'Exact', value: '/a' } },
    { path: { type: 'PathPrefix', value: '/longer' } },
    { path: { type: 'PathPrefix', value: '/x' }, headers: [{ name: 'h', value: '1' }, { name: 'i', value: '1' }] },
    { path: { type: 'PathPrefix', value: '/x' }, headers: [{ name: 'h', value: '1' }] },
    { path: { type: 'PathPrefix', value: '/x' }, queryParams: [{ type: 'Exact', name: 'q', value: '1' }] },
    { path: { type: 'RegularExpression', value: '/.*' } },
    { method: 'GET' },
    {},
  ];
  const shuffled = [...ordered].reverse().sort(compareMatch);
  assert.equal(shuffled, ordered);
});

test.run();
