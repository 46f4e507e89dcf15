// Compile is deterministic and pure (DESIGN.md §1, §8; STYLE.md §4): same bytes and versions whatever the input order or process, and inputs never mutated.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildMeshContexts, compileProxy } from '../../src/compile/compile.js';
import type { Resource } from '../../src/core/resource.js';
import { ADS_SOURCE } from '../../src/core/xds-json.js';
import { compileAll, exampleFiles, fingerprints, validResources } from './example-repo-compile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./example-repo-compile.ts', import.meta.url));

/** Freezes `value` and everything reachable from it, Map and Set contents included. */
function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return value;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return value; // typed arrays cannot be frozen
  if (value instanceof Map) for (const [k, v] of value) deepFreeze(k, seen), deepFreeze(v, seen);
  if (value instanceof Set) for (const v of value) deepFreeze(v, seen);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor && 'value' in descriptor) deepFreeze(descriptor.value, seen);
  }
  return Object.freeze(value);
}

/** A JSON image of a value that sees into Maps and Sets (which freezing cannot lock): for before/after comparisons. */
function image(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item instanceof Map ? { Map: [...item] } : item instanceof Set ? { Set: [...item] } : typeof item === 'function' ? `[function ${(item as { name: string }).name}]` : item,
  );
}

/** Runs the fingerprint script in a fresh node process, as another machine or replica would. */
function childFingerprints(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`the child exited with ${code}:\n${stderr}`))));
  });
}

test('the same repository in reverse file and resource order compiles to the same bytes and versions', async () => {
  // given example-repo as read, and again with its files and its resources in reverse order
  const files = await exampleFiles();
  const forward = fingerprints(compileAll(validResources(files)));
  const backward = fingerprints(compileAll(validResources([...files].reverse()).reverse()));
  // then every proxy has the same compiled JSON, encoded bytes and versions
  assert.ok(Object.keys(forward).length > 10);
  assert.equal(backward, forward);
});

test('another process compiles the same bytes and versions', async () => {
  // given this process's fingerprints, and a fresh node process's (no shared cache, module state or hash seed)
  const here = fingerprints(compileAll(validResources(await exampleFiles())));
  const there = await childFingerprints();
  // then they are identical
  assert.equal(there, here);
});

test('compile never mutates its inputs: every proxy compiles from deeply frozen resources and contexts', async () => {
  // given example-repo's resources, deeply frozen, and the mesh contexts built from them, frozen too
  const resources: readonly Resource[] = deepFreeze(validResources(await exampleFiles()));
  const contexts = buildMeshContexts(resources);
  for (const ctx of contexts.values()) deepFreeze(ctx);
  const before = image([resources, [...contexts.values()]]);
  // (ADS_SOURCE is a module constant that compile puts by reference into every proxy's output)
  const sharedBefore = image(ADS_SOURCE);
  // when every proxy is compiled, in both flavours (a write to a frozen object throws in ESM's strict mode)
  for (const ctx of contexts.values()) {
    for (const dataplane of ctx.dataplanes) {
      for (const flavour of ['envoy', 'grpc'] as const) {
        try {
          compileProxy(ctx, dataplane, { flavour });
        } catch (error) {
          assert.unreachable(`compiling ${ctx.mesh}.${dataplane.name} (${flavour}) from frozen inputs threw: ${(error as Error).stack}`);
        }
      }
    }
  }
  // then nothing changed, Maps included, and the output equals that of unfrozen inputs
  assert.is(image([resources, [...contexts.values()]]), before);
  assert.is(image(ADS_SOURCE), sharedBefore, 'a hook mutated the shared ADS config source');
  assert.equal(fingerprints(compileAll(resources)), fingerprints(compileAll(validResources(await exampleFiles()))));
});

test('a write to a deeply frozen resource throws (the check above is not vacuous)', async () => {
  const [resource] = deepFreeze(validResources(await exampleFiles()));
  assert.throws(() => ((resource!.spec as Record<string, unknown>).injected = true), TypeError);
  assert.throws(() => ((resource!.labels as Record<string, string>).app = 'x'), TypeError);
});

test.run();
