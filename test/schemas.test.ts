// schemas/ itself: valid draft 2020-12, strict, documented, one per kind, $id matching the slug.
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KINDS, kindSlug, schemaId } from '../src/core/resource.js';

const files = readdirSync('schemas').filter((f) => f.endsWith('.schema.json')).sort();
const common = readdirSync('schemas/common').map((f) => JSON.parse(readFileSync(`schemas/common/${f}`, 'utf8')));
const kinds = files.map((f) => JSON.parse(readFileSync(`schemas/${f}`, 'utf8')) as { $id: string; title: string; description?: string; $defs: Record<string, unknown> });

test('there is one schema per kind, named by its slug, with the $id the validator looks up', () => {
  assert.equal(files, KINDS.map((k) => `${kindSlug(k)}.schema.json`).sort());
  for (const schema of kinds) assert.is(schema.$id, schemaId(schema.title), schema.title);
});

test('every schema is valid draft 2020-12 under ajv strict mode', () => {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, validateSchema: true });
  for (const schema of [...common, ...kinds]) assert.ok(ajv.validateSchema(schema), `${schema.$id}: ${ajv.errorsText()}`);
  ajv.addSchema([...common, ...kinds]);
  for (const schema of kinds) for (const envelope of ['Universal', 'Kubernetes']) assert.ok(ajv.getSchema(`${schema.$id}#/$defs/${envelope}`), `${schema.$id} ${envelope}`);
});

test('every object is closed and every property documented', () => {
  const problems: string[] = [];
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'object' && record.properties && record.additionalProperties !== false) problems.push(`${where}: open object`);
    if (record.properties && typeof record.properties === 'object') {
      for (const [name, prop] of Object.entries(record.properties as Record<string, Record<string, unknown>>)) {
        const documented = prop.description || prop.$ref || prop.const !== undefined;
        if (!documented && !['type', 'name', 'mesh', 'labels', 'annotations', 'apiVersion', 'kind', 'metadata', 'spec'].includes(name)) problems.push(`${where}.${name}: no description`);
      }
    }
    for (const [key, value] of Object.entries(record)) walk(value, `${where}/${key}`);
  };
  for (const schema of kinds) walk(schema, schema.title);
  assert.equal(problems, []);
});

test.run();
