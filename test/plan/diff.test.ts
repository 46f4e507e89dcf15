// diffJson: leaves added, removed and changed, by dotted path, in a deterministic order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffJson, joinPath } from '../../src/core/json-diff.js';

test('equal values have no difference, whatever the key order', () => {
  assert.equal(diffJson({ a: 1, b: { c: [1, { d: 'x' }] } }, { b: { c: [1, { d: 'x' }] }, a: 1 }), []);
  assert.equal(diffJson(null, null), []);
});

test('a changed leaf is one entry at its dotted path, with both values', () => {
  assert.equal(diffJson({ spec: { to: [{ default: { connectionTimeout: '5s' } }] } }, { spec: { to: [{ default: { connectionTimeout: '3s' } }] } }), [
    { path: 'spec.to[0].default.connectionTimeout', change: 'changed', before: '5s', after: '3s' },
  ]);
});

test('keys come in code-unit order; added and removed subtrees are whole values', () => {
  const before = { z: 1, a: { x: 1 }, m: 2 };
  const after = { m: 2, b: { y: [1, 2] }, z: 1 };
  assert.equal(diffJson(before, after), [
    { path: 'a', change: 'removed', before: { x: 1 } },
    { path: 'b', change: 'added', after: { y: [1, 2] } },
  ]);
});

test('lists compare by position: items past the shorter list are added or removed', () => {
  assert.equal(diffJson({ l: [1, 2, 3] }, { l: [1, 5] }), [
    { path: 'l[1]', change: 'changed', before: 2, after: 5 },
    { path: 'l[2]', change: 'removed', before: 3 },
  ]);
  assert.equal(diffJson([], [{ name: 'a' }]), [{ path: '[0]', change: 'added', after: { name: 'a' } }]);
});

test('a value whose type changes is one change; undefined counts as absent; null is a value', () => {
  assert.equal(diffJson({ a: [1] }, { a: { 0: 1 } }), [{ path: 'a', change: 'changed', before: [1], after: { 0: 1 } }]);
  assert.equal(diffJson({ a: undefined, b: 1 }, { b: 1 }), []);
  assert.equal(diffJson({ a: null }, {}), [{ path: 'a', change: 'removed', before: null }]);
  assert.equal(diffJson(1, '1'), [{ path: '', change: 'changed', before: 1, after: '1' }]);
});

test('keys that are not identifiers are quoted in brackets, as diagnostics write paths', () => {
  assert.is(joinPath('tags', 'kuma.io/service'), 'tags["kuma.io/service"]');
  assert.is(joinPath('', '@type'), '["@type"]');
  assert.is(joinPath('a', 'x-canary'), 'a["x-canary"]');
  assert.is(joinPath('', 'spec'), 'spec');
  assert.is(joinPath('a', 'has space'), 'a["has space"]');
  assert.equal(diffJson({ tags: { 'kuma.io/service': 'a' } }, { tags: { 'kuma.io/service': 'b' } }).map((f) => f.path), ['tags["kuma.io/service"]']);
});

test('the inputs are never mutated', () => {
  const before = Object.freeze({ a: Object.freeze([1, 2]), b: Object.freeze({ c: 1 }) });
  const after = Object.freeze({ a: Object.freeze([1]), b: Object.freeze({ c: 2 }) });
  assert.is(diffJson(before, after).length, 2);
});

test.run();
