// Every policy kind is complete: registered, with schema, generated type, module files and cases.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KINDS, kindSlug } from '../src/core/resource.js';
import { POLICIES } from '../src/policies/registry.js';

const POLICY_KINDS = KINDS.filter((k) => k !== 'Mesh' && k !== 'Dataplane');

test('every policy kind of DESIGN.md §3 is registered once, in Kuma order', () => {
  assert.equal(POLICIES.map((p) => p.kind).sort(), [...POLICY_KINDS].sort());
  const orders = POLICIES.map((p) => p.order);
  assert.equal(orders, [...orders].sort((a, b) => a - b), 'registry order');
  assert.is(new Set(orders).size, orders.length, 'orders are distinct');
});

for (const kind of POLICY_KINDS) {
  const slug = kindSlug(kind);
  test(`${kind} has schema, generated type, module and cases under the slug ${slug}`, () => {
    const schema = JSON.parse(readFileSync(`schemas/${slug}.schema.json`, 'utf8')) as { $id: string; title: string };
    assert.is(schema.title, kind);
    assert.is(POLICIES.find((p) => p.kind === kind)?.schemaId, schema.$id);
    assert.ok(existsSync(`src/generated/${slug}.ts`), 'generated type');
    for (const file of ['index.ts', 'validate.ts', 'compile.ts']) assert.ok(existsSync(`src/policies/${slug}/${file}`), file);
    const cases = readdirSync(`test/policies/${slug}/cases`);
    assert.ok(cases.some((f) => f.startsWith('valid-')), 'a valid case');
    assert.ok(cases.filter((f) => f.startsWith('invalid-')).length >= 3, 'three invalid cases');
    assert.ok(cases.some((f) => /^golden-.*\.input\.yaml$/.test(f)), 'a golden compile case');
    assert.ok(POLICIES.find((p) => p.kind === kind)?.xds, 'xDS hooks wired into the module');
    assert.ok(existsSync(`test/policies/${slug}/${slug}.test.ts`), 'the test file');
  });
}

test.run();
