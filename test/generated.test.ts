// src/generated/ must be exactly what `npm run gen` makes from schemas/.
import { readFile, readdir } from 'node:fs/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generate } from '../scripts/gen.js';

test('generated types and schema bundle match schemas/ (run `npm run gen` when this fails)', async () => {
  const expected = await generate();
  const present = (await readdir('src/generated')).filter((f) => f.endsWith('.ts')).sort();
  assert.equal(present, [...expected.keys()].sort(), 'the files in src/generated/');
  for (const [name, content] of expected) {
    assert.ok((await readFile(`src/generated/${name}`, 'utf8')) === content, `src/generated/${name} is stale`);
  }
});

test.run();
