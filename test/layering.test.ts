// Imports point only to earlier stages of the flow (STYLE.md §1): core → source → load →
// validate → policies → compile → xds → reconcile → plan, with cli/ and action/ on top.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const STAGES = ['core', 'generated', 'source', 'load', 'validate', 'policies', 'compile', 'xds', 'reconcile', 'plan', 'cli', 'action'];
/** Rank of each top-level folder; core and generated share rank 0, cli and action are peers on top. */
const RANK: Record<string, number> = { core: 0, generated: 0, source: 1, load: 2, validate: 3, policies: 4, compile: 5, xds: 6, reconcile: 7, plan: 8, cli: 9, action: 9 };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function stageOf(file: string): string {
  const top = relative('src', file).split('/')[0]!;
  return top.endsWith('.ts') ? 'core' : top; // top-level files (index.ts, log.ts) are shared vocabulary
}

test('every folder under src/ is a known stage', () => {
  for (const name of readdirSync('src')) {
    if (statSync(join('src', name)).isDirectory()) assert.ok(STAGES.includes(name), `src/${name} is not a stage of the flow`);
  }
});

/** The imports of `file` (with content `text`) that point to a later stage or a peer stage. */
function importViolations(file: string, text: string): string[] {
  const from = stageOf(file);
  const violations: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
    const target = stageOf(relative(process.cwd(), resolve(dirname(file), match[1]!)));
    const later = RANK[target]! > RANK[from]!;
    const peer = RANK[target] === RANK[from] && target !== from && RANK[from] !== 0;
    if (later || peer) violations.push(`${file} (${from}) imports ${match[1]} (${target})`);
  }
  return violations;
}

test('imports point only to the same or an earlier stage', () => {
  assert.equal(sourceFiles('src').flatMap((file) => importViolations(file, readFileSync(file, 'utf8'))), []);
});

test('the layering check catches a backward import and a peer import', () => {
  assert.is(importViolations('src/load/load.ts', `import { validate } from '../validate/index.js';`).length, 1);
  assert.is(importViolations('src/cli/main.ts', `import { run } from '../action/main.js';`).length, 1);
  assert.is(importViolations('src/validate/index.ts', `import { loadFiles } from '../load/load.js';`).length, 0);
});

test.run();
