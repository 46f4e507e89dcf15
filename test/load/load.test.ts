// Loader unit tests: both envelopes onto one Resource, names and meshes, positions, line endings.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import type { Resource } from '../../src/core/resource.js';
import { loadFiles, type LoadOptions } from '../../src/load/load.js';
import { validateFiles } from '../../src/policies/validate-files.js';

const encoder = new TextEncoder();
const BASE = readFileSync('test/fixtures/base-mesh.yaml');

function load(text: string | Uint8Array, options: LoadOptions = {}) {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  return loadFiles([{ path: 'policies/case.yaml', bytes }], options);
}

/** Validates `text` as case.yaml beside the base mesh; the diagnostics of case.yaml only. */
function validateCase(text: string | Uint8Array): Diagnostic[] {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  const { diagnostics } = validateFiles({ files: [{ path: 'base-mesh.yaml', bytes: BASE }, { path: 'case.yaml', bytes }] });
  const stray = diagnostics.filter((d) => d.file !== 'case.yaml');
  assert.equal(stray, [], 'the base mesh must stay clean');
  return diagnostics;
}

const at = (d: Diagnostic) => `${d.code} ${d.line}:${d.column}`;

/** The envelope-independent part of a resource. */
function essence(r: Resource) {
  return { kind: r.kind, mesh: r.mesh, name: r.name, labels: r.labels, annotations: r.annotations, spec: r.spec };
}

const TIMEOUT_SPEC = `  targetRef:
    kind: Dataplane
    labels:
      app: web
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        connectionTimeout: 2s
        http:
          requestTimeout: 5s
`;

test('a universal and a Kubernetes MeshTimeout normalise to the same resource', () => {
  const universal = load(`type: MeshTimeout
name: web-to-backend.kuma-demo
mesh: demo
labels:
  team: core
  kuma.io/mesh: demo
annotations:
  note: same
spec:
${TIMEOUT_SPEC}`);
  const kubernetes = load(`apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: web-to-backend
  namespace: kuma-demo
  labels:
    team: core
    kuma.io/mesh: demo
  annotations:
    note: same
spec:
${TIMEOUT_SPEC}`);
  assert.equal(universal.diagnostics, []);
  assert.equal(kubernetes.diagnostics, []);
  assert.is(universal.resources.length, 1);
  assert.is(kubernetes.resources.length, 1);
  const [u, k] = [universal.resources[0]!, kubernetes.resources[0]!];
  assert.equal(essence(k), essence(u));
  assert.equal(essence(u), {
    kind: 'MeshTimeout',
    mesh: 'demo',
    name: 'web-to-backend.kuma-demo',
    labels: { team: 'core', 'kuma.io/mesh': 'demo' },
    annotations: { note: 'same' },
    spec: {
      targetRef: { kind: 'Dataplane', labels: { app: 'web' } },
      to: [{ targetRef: { kind: 'MeshService', name: 'backend' }, default: { connectionTimeout: '2s', http: { requestTimeout: '5s' } } }],
    },
  });
  assert.is(u.envelope, 'universal');
  assert.is(k.envelope, 'kubernetes');
  assert.equal(u.specPath, ['spec']);
  assert.equal(k.specPath, ['spec']);
});

test('a Dataplane body sits at the top level in universal and under spec in Kubernetes, and normalises the same', () => {
  const body = `networking:
  address: 10.0.0.1
  inbound:
    - port: 8080
      tags:
        kuma.io/service: web
`;
  const indented = body.replace(/^/gm, '  ');
  const universal = load(`type: Dataplane\nname: web-1\nmesh: default\nlabels:\n  app: web\n${body}`);
  const kubernetes = load(`apiVersion: kuma.io/v1alpha1\nkind: Dataplane\nmetadata:\n  name: web-1\n  labels:\n    app: web\nspec:\n${indented}`);
  const [u, k] = [universal.resources[0]!, kubernetes.resources[0]!];
  assert.equal(essence(k), essence(u));
  assert.equal(u.spec, { networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] } });
  // The envelope keys are not part of the body.
  assert.not.ok('type' in (u.spec as object) || 'name' in (u.spec as object) || 'labels' in (u.spec as object));
  assert.equal(u.specPath, []);
  assert.equal(k.specPath, ['spec']);
});

test('a namespaced Kubernetes resource is named name.namespace; a Mesh, cluster-scoped, keeps its name', () => {
  const { resources } = load(`apiVersion: kuma.io/v1alpha1
kind: Dataplane
metadata:
  name: backend-1
  namespace: kuma-demo
spec:
  networking:
    address: 10.0.0.2
---
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: timeouts
spec: {}
---
apiVersion: kuma.io/v1alpha1
kind: Mesh
metadata:
  name: prod
  namespace: kuma-system
`);
  assert.equal(resources.map((r) => `${r.kind} ${r.mesh} ${r.name}`), [
    'Dataplane default backend-1.kuma-demo',
    'MeshTimeout default timeouts',
    'Mesh prod prod',
  ]);
});

test('the mesh of a Kubernetes resource is its kuma.io/mesh label, of a universal one its mesh field, else default', () => {
  const { resources, diagnostics } = load(`apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: labelled
  labels:
    kuma.io/mesh: payments
spec: {}
---
apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: unlabelled
  labels:
    app: x
spec: {}
---
type: MeshTimeout
name: universal-in-payments
mesh: payments
spec: {}
---
type: MeshTimeout
name: universal-no-mesh
spec: {}
---
type: Mesh
name: payments
`);
  assert.equal(diagnostics, []);
  assert.equal(resources.map((r) => `${r.name}@${r.mesh}`), [
    'labelled@payments',
    'unlabelled@default',
    'universal-in-payments@payments',
    'universal-no-mesh@default',
    'payments@payments',
  ]);
});

test('each resource records its file and document index, and locates paths inside its own document', () => {
  const { resources } = load(`type: Mesh
name: default
---
# the second document
type: MeshTimeout
name: t
spec:
  targetRef:
    kind: Mesh
`);
  assert.equal(resources.map((r) => [r.origin.file, r.origin.index]), [['policies/case.yaml', 0], ['policies/case.yaml', 1]]);
  const timeout = resources[1]!;
  assert.equal(timeout.origin.locate([]), { line: 5, column: 1 });
  assert.equal(timeout.origin.locate(['spec', 'targetRef', 'kind']), { line: 9, column: 11 });
  assert.equal(timeout.origin.locate(['spec', 'targetRef', 'kind'], true), { line: 9, column: 5 });
  // A missing field: the deepest mapping that exists.
  assert.equal(timeout.origin.locate(['spec', 'targetRef', 'name']), { line: 9, column: 5 });
});

const MULTI = `type: MeshTimeout
name: first
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: Mesh
      default:
        idleTimeout: 10s
---
type: MeshTimeout
name: second
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: Mesh
      default:
        idelTimeout: 10s
---
# a comment before the third document
type: MeshTimeout
name: third
spec:
  targetRef:
    name: web
  to:
    - targetRef:
        kind: Mesh
      default:
        connectionTimeout: soon
`;

test('diagnostics in the second and third documents point at the offending node', () => {
  const diagnostics = validateCase(MULTI);
  assert.equal(diagnostics.map(at), ['GM202 21:9', 'GM201 28:5', 'GM205 33:28']);
  assert.equal(diagnostics.map((d) => d.name), ['second', 'third', 'third']);
});

test('an unknown field points at its key, not its value', () => {
  const [unknown] = validateCase(MULTI);
  assert.is(unknown!.code, 'GM202');
  assert.is(MULTI.split('\n')[unknown!.line - 1]!.slice(unknown!.column - 1), 'idelTimeout: 10s');
});

test('a missing field points at the mapping that lacks it', () => {
  const missing = validateCase(MULTI).find((d) => d.code === 'GM201')!;
  assert.ok(missing.message.includes('`kind`'), missing.message);
  // Line 28 is the first key of spec.targetRef, the mapping without `kind`.
  assert.is(MULTI.split('\n')[missing.line - 1]!.slice(missing.column - 1), 'name: web');
});

test('a YAML syntax error is reported at its line in a later document, and earlier documents still load', () => {
  const text = 'type: Mesh\nname: one\n---\ntype: Mesh\nname: two\n---\ntype: Mesh\nname: three\nlabels:\n  team: a: b\n';
  const { resources, diagnostics } = load(text);
  assert.equal(resources.map((r) => r.name), ['one', 'two']);
  assert.ok(diagnostics.length >= 1);
  for (const d of diagnostics) assert.is(d.code, 'GM101');
  assert.is(diagnostics[0]!.line, 10, JSON.stringify(diagnostics));
  assert.is(diagnostics[0]!.file, 'policies/case.yaml');
});

test('a duplicate key is GM102 at the second occurrence, naming the first', () => {
  const { resources, diagnostics } = load('type: Mesh\nname: a\nmtls:\n  enabledBackend: x\n  enabledBackend: y\n');
  assert.equal(resources, []);
  assert.equal(diagnostics.map(at), ['GM102 5:3']);
  assert.match(diagnostics[0]!.message, /"enabledBackend".*line 4/);
});

test('keys that read alike but differ in type are not duplicates', () => {
  const { diagnostics, resources } = load('type: Mesh\nname: a\nlabels:\n  "1": x\n  1: y\n');
  assert.equal(diagnostics.filter((d) => d.code === 'GM102'), []);
  assert.is(resources.length, 1);
});

test('a document that is a scalar or a list is GM108 at its start', () => {
  const { diagnostics } = load('type: Mesh\nname: a\n---\njust words\n---\n- a\n- b\n');
  assert.equal(diagnostics.map(at), ['GM108 4:1', 'GM108 6:1']);
  assert.match(diagnostics[0]!.message, /document 2 is a string/);
  assert.match(diagnostics[1]!.message, /document 3 is a list/);
});

test('a document without type is GM200 at its start; an unknown kind points at the kind', () => {
  const { diagnostics } = load('name: a\n---\ntype: MeshNothing\nname: b\n');
  assert.equal(diagnostics.map(at), ['GM200 1:1', 'GM200 3:7']);
  assert.match(diagnostics[0]!.message, /no `type`/);
  assert.match(diagnostics[1]!.message, /unknown kind "MeshNothing"/);
});

test('empty documents and comment-only files produce nothing', () => {
  assert.equal(load('# only a comment\n'), { resources: [], diagnostics: [], files: 1 });
  const { resources, diagnostics } = load('---\ntype: Mesh\nname: a\n---\n---\n');
  assert.equal(diagnostics, []);
  assert.equal(resources.map((r) => r.name), ['a']);
});

test('CRLF line endings load the same resources and the same positions as LF', () => {
  const crlf = MULTI.replace(/\n/g, '\r\n');
  assert.ok(crlf.includes('\r\n'));
  assert.equal(validateCase(crlf).map(at), validateCase(MULTI).map(at));
  const lf = load(MULTI).resources.map(essence);
  const fromCrlf = load(crlf).resources.map(essence);
  assert.equal(fromCrlf, lf);
  assert.is(fromCrlf[0]!.name, 'first'); // no stray \r in scalars
});

test('a UTF-8 byte order mark is skipped: same resources, same line and column', () => {
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode(MULTI)]);
  assert.equal(validateCase(bom).map(at), validateCase(MULTI).map(at));
  assert.equal(load(bom).resources.map(essence), load(MULTI).resources.map(essence));
  // A BOM and CRLF together, with an error on the very first line.
  const both = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode('typo: 1\r\ntype: Mesh\r\nname: a\r\n')]);
  assert.equal(validateCase(both).map(at), ['GM202 1:1']);
});

test('invalid UTF-8 is GM105 at the line and character column of the bad byte', () => {
  // `ü` is two bytes, so the character column (14) differs from the byte column (15).
  const bytes = new Uint8Array([...encoder.encode('type: Mesh\nname: m\nlabels: {x: ü'), 0xff, ...encoder.encode('}\n')]);
  const { diagnostics, resources } = load(bytes);
  assert.equal(resources, []);
  assert.equal(diagnostics.map(at), ['GM105 3:14']);
  assert.match(diagnostics[0]!.message, /0xff/);
  // After a BOM, the first line's columns still start at 1.
  const withBom = load(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xc3, 0x28]));
  assert.equal(withBom.diagnostics.map(at), ['GM105 1:2']);
});

test('nesting deeper than maxDepth is GM104; brackets inside quoted and block scalars are not nesting', () => {
  const deep = load(`type: Mesh\nname: a\nlabels: ${'['.repeat(80)}${']'.repeat(80)}\n`);
  assert.equal(deep.diagnostics.map((d) => d.code), ['GM104']);
  const quoted = load(`type: Mesh\nname: a\nannotations:\n  q: "${'['.repeat(5000)}"\n  b: |\n    ${'{'.repeat(5000)}\n`);
  assert.equal(quoted.diagnostics, []);
  assert.is(quoted.resources.length, 1);
});

test('a legitimate document indented eight spaces a level is not mistaken for deep nesting', () => {
  const levels = 40;
  const lines = ['type: Mesh', 'name: a', 'annotations:'];
  let nested = 'x:';
  for (let i = 1; i < levels; i++) nested += `\n${' '.repeat(8 * i)}x:`;
  const text = `${lines.join('\n')}\n  note: ok\nlabels: {}\nspec-like:\n${nested.replace(/^/gm, '  ')} 1\n`;
  const { diagnostics } = load(text);
  assert.equal(diagnostics.filter((d) => d.code === 'GM104'), []);
});

test('a file nesting far past the limit is refused while it is read, at the position where it passes the limit', () => {
  const { diagnostics, resources } = load(`type: Mesh\nname: a\n---\nx: ${'['.repeat(100_000)}`);
  assert.equal(resources, [], 'the whole file is refused');
  assert.equal(diagnostics.length, 1);
  assert.is(diagnostics[0]!.code, 'GM104');
  assert.is(diagnostics[0]!.line, 4);
  assert.ok(diagnostics[0]!.column > 64, String(diagnostics[0]!.column));
  assert.match(diagnostics[0]!.message, /policies\/case\.yaml nests \(or indents\) deeper than \d+ levels/);
});

test('a file with more documents than maxDocuments is refused as a whole with one GM110', () => {
  const docs = (n: number) => Array.from({ length: n }, (_, i) => `type: Mesh\nname: m${i}\n`).join('---\n');
  assert.equal(load(docs(5), { maxDocuments: 5 }).resources.length, 5);
  const over = load(docs(6), { maxDocuments: 5 });
  assert.equal(over.resources, []);
  assert.equal(over.diagnostics.map(at), ['GM110 1:1']);
  assert.match(over.diagnostics[0]!.message, /more than 5 YAML documents/);
  assert.match(over.diagnostics[0]!.hint ?? '', /at most 5 documents/);
});

test('loadFiles counts every file, including those that produced only diagnostics', () => {
  const result = loadFiles([
    { path: 'a.yaml', bytes: encoder.encode('type: Mesh\nname: a\n') },
    { path: 'b.yaml', bytes: new Uint8Array([0, 1, 2]) },
    { path: 'c.yaml', bytes: encoder.encode('') },
  ]);
  assert.is(result.files, 3);
  assert.equal(result.diagnostics.map((d) => `${d.file} ${d.code}`), ['b.yaml GM106']);
});

test.run();
