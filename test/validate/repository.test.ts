// Checks across resources: identity, meshes, references, conflicts, and order independence.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateFiles } from '../../src/policies/validate-files.js';

const encoder = new TextEncoder();
const BASE = readFileSync('test/fixtures/base-mesh.yaml');

function run(files: Record<string, string>) {
  const list = [{ path: 'base.yaml', bytes: BASE }, ...Object.entries(files).map(([path, text]) => ({ path, bytes: encoder.encode(text) }))];
  return validateFiles({ files: list }).diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.severity} ${d.message}`);
}

const timeout = (name: string, service: string, value: string) => `type: MeshTimeout
name: ${name}
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: ${service}
      default:
        connectionTimeout: ${value}
`;

test('a resource defined twice is reported at both places, across envelopes and files', () => {
  const k8s = `apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: t
  labels:
    kuma.io/mesh: default
spec:
  to:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 1m}
`;
  const out = run({ 'a.yaml': timeout('t', 'backend', '1s'), 'b.yaml': `---\n${k8s}` });
  assert.equal(out.filter((l) => l.includes('GM301')), [
    'a.yaml:1:1 GM301 error MeshTimeout "t" in mesh "default" is also defined at b.yaml:2',
    'b.yaml:2:1 GM301 error MeshTimeout "t" in mesh "default" is also defined at a.yaml:1',
  ]);
});

test('many copies of one resource each name at most three others, so output grows linearly', () => {
  const copies = Array.from({ length: 500 }, () => timeout('t', 'backend', '1s')).join('---\n');
  const out = run({ 'many.yaml': copies }).filter((l) => l.includes('GM301'));
  assert.is(out.length, 500);
  assert.match(out[0]!, /is also defined at many\.yaml:14, many\.yaml:27, many\.yaml:40 and 496 more places$/);
});

test('the same name in two meshes is two resources', () => {
  const other = `type: Mesh\nname: other\n`;
  const out = run({ 'm.yaml': other, 'a.yaml': timeout('t', 'backend', '1s'), 'b.yaml': timeout('t', 'backend', '1s').replace('mesh: default', 'mesh: other') });
  assert.equal(out.filter((l) => l.includes('GM301')), []);
});

test('a resource in a mesh no Mesh defines is GM302, at its mesh field or label', () => {
  const universal = timeout('t', 'backend', '1s').replace('mesh: default', 'mesh: prod');
  const k8s = `apiVersion: kuma.io/v1alpha1\nkind: MeshTimeout\nmetadata:\n  name: k\n  labels:\n    kuma.io/mesh: staging\nspec:\n  to:\n    - targetRef: {kind: Mesh}\n      default: {idleTimeout: 1m}\n`;
  const out = run({ 'u.yaml': universal, 'k.yaml': k8s });
  assert.ok(out.includes('u.yaml:3:7 GM302 error MeshTimeout "t" is in mesh "prod", which no Mesh resource defines'), out.join('\n'));
  assert.ok(out.some((l) => l.startsWith('k.yaml:6:19 GM302 error')), out.join('\n'));
});

test('references to unknown services, Dataplanes and routes are warnings, as Kuma accepts them', () => {
  const dp = `type: MeshTimeout
name: d
mesh: default
spec:
  targetRef:
    kind: Dataplane
    name: ghost-1
  rules:
    - default: {idleTimeout: 1m}
`;
  const out = run({ 's.yaml': timeout('s', 'nowhere', '1s'), 'd.yaml': dp });
  assert.ok(out.includes('s.yaml:10:15 GM304 warning a `to[]` targetRef names service "nowhere", which no Dataplane in mesh "default" serves'), out.join('\n'));
  assert.ok(out.some((l) => l.startsWith('d.yaml:7:11 GM305 warning')), out.join('\n'));
  assert.is(out.filter((l) => l.includes(' error ')).length, 0, out.join('\n'));
});

test('two policies with the same target and rank that set one field differently warn on the loser', () => {
  const out = run({ 'a.yaml': timeout('aaa', 'backend', '1s'), 'b.yaml': timeout('bbb', 'backend', '2s') });
  assert.equal(out, [
    'b.yaml:12:28 GM308 warning connectionTimeout (to MeshService/backend) is "2s" here but "1s" in MeshTimeout "aaa" (a.yaml:12), which has the same target and rank and wins by name order',
  ]);
});

test('equal values, or different destinations, are no conflict', () => {
  assert.equal(run({ 'a.yaml': timeout('aaa', 'backend', '1s'), 'b.yaml': timeout('bbb', 'backend', '1s') }), []);
  assert.equal(run({ 'a.yaml': timeout('aaa', 'backend', '1s'), 'b.yaml': timeout('bbb', 'payments', '2s') }), []);
});

test('MeshTrafficPermission rules combine across policies, so different lists are no conflict', () => {
  const mtp = (name: string, service: string) => `type: MeshTrafficPermission
name: ${name}
mesh: default
spec:
  targetRef: {kind: Dataplane, labels: {app: backend}}
  rules:
    - default:
        allow:
          - spiffeID: {type: Exact, value: "spiffe://default/${service}"}
`;
  assert.equal(run({ 'a.yaml': mtp('aaa', 'web'), 'b.yaml': mtp('bbb', 'payments') }), []);
});

test('diagnostics do not depend on file order', () => {
  const files = { 'a.yaml': timeout('aaa', 'backend', '1s'), 'b.yaml': timeout('bbb', 'backend', '2s'), 'c.yaml': timeout('aaa', 'nowhere', 'x') };
  const forward = run(files);
  const backward = run(Object.fromEntries(Object.entries(files).reverse()));
  assert.ok(forward.length >= 3, forward.join('\n'));
  assert.equal(backward, forward);
});

test.run();
