// Benchmark of `gitmesh validate`'s work: readFolder + validateFiles over a generated repository.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { KINDS, schemaId, type Kind } from '../src/core/resource.js';
import { SCHEMAS } from '../src/generated/schemas.js';
import { readFast } from '../src/load/fast.js';
import { LOAD_DEFAULTS, loadFiles } from '../src/load/load.js';
import { POLICIES } from '../src/policies/registry.js';
import { validateFiles } from '../src/policies/validate-files.js';
import { readFolder } from '../src/source/folder.js';
import { validate } from '../src/validate/index.js';
import { DEFAULT_SHAPE, writeRepository } from './repository.js';

/** The bar: kubeconform validating Kubernetes manifests against JSON Schemas only. */
export const KUBECONFORM_FILES_PER_SECOND = 5200;

export interface ValidateBenchOptions {
  /** Policy files to generate (default 1,000). */
  readonly files?: number;
  /** Warm runs; the median is reported (default 5). */
  readonly warmRuns?: number;
  /** Keep the generated repository and print its path. */
  readonly keep?: boolean;
  /** Runs of the built CLI as a process (default 3; 0 skips them, and the build they may need). */
  readonly cliRuns?: number;
  readonly log?: (line: string) => void;
}

/** `gitmesh validate` as a user runs it: a fresh process of the built CLI, start to exit. */
export interface CliBenchResult {
  /** Median wall time of the runs, node's start and module loading included. */
  readonly ms: number;
  readonly runsMs: readonly number[];
  /** Wall time of `gitmesh --version`: node's start and module loading alone. */
  readonly startMs: number;
  readonly peakRssMiB: number;
}

export interface ValidateBenchResult {
  readonly files: number;
  readonly resources: number;
  readonly bytes: number;
  readonly kinds: readonly Kind[];
  readonly coldMs: number;
  readonly warmMs: number;
  readonly warmRunsMs: readonly number[];
  /** Medians of the warm stages: read the folder, load YAML, validate (schema + semantics). */
  readonly stagesMs: { readonly read: number; readonly load: number; readonly validate: number };
  /** Median warm load with every file read the guarded way (the yaml package), for comparison. */
  readonly guardedLoadMs: number;
  /** Files the loader reads the fast way (js-yaml); the others go the guarded way. */
  readonly fastFiles: number;
  readonly peakRssMiB: number;
  /** The built CLI run as a process over the same repository; undefined when skipped. */
  readonly cli?: CliBenchResult;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Policy kinds whose schema is in schemas/ (read from the bundle, so ajv is not compiled yet). */
export function kindsWithSchema(): Kind[] {
  const ids = new Set((SCHEMAS as { $id?: string }[]).map((s) => s.$id));
  return KINDS.filter((k) => k !== 'Mesh' && k !== 'Dataplane' && ids.has(schemaId(k)));
}

/**
 * Generates the repository in a temporary folder, then times readFolder + validateFiles end to
 * end: once cold (the first run in this process: V8 still interprets and compiles the code it
 * meets; the schemas are precompiled by `npm run gen`) and `warmRuns` times warm; then the built
 * CLI as a process (`cliRuns` times). Throws when the repository does not validate with 0
 * errors: the bench would measure the wrong thing.
 */
export async function benchValidate(options: ValidateBenchOptions = {}): Promise<ValidateBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const kinds = kindsWithSchema();
  const missing = DEFAULT_SHAPE.kinds.filter((k) => !kinds.includes(k));
  const root = await mkdtemp(join(tmpdir(), 'gitmesh-bench-'));
  try {
    const generated = await writeRepository(root, { ...DEFAULT_SHAPE, files: options.files ?? DEFAULT_SHAPE.files, kinds });
    log(`repository: ${generated.files} files, ${(generated.bytes / 1024).toFixed(0)} KiB, ${kinds.length} policy kinds (${Object.entries(generated.perKind).map(([k, n]) => `${k} ${n}`).join(', ')})`);
    if (missing.length) log(`  no schema yet, not generated: ${missing.join(', ')}`);

    const endToEnd = async () => {
      const started = performance.now();
      const read = await readFolder(root);
      const result = validateFiles({ files: read.files, sourceDiagnostics: read.diagnostics });
      return { ms: performance.now() - started, result };
    };

    const cold = await endToEnd();
    const { summary, diagnostics } = cold.result;
    if (summary.errors > 0 || summary.files !== generated.files) {
      const shown = diagnostics.slice(0, 10).map((d) => `  ${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`).join('\n');
      throw new Error(`bench: the generated repository must validate with 0 errors, got ${summary.errors} in ${summary.files} files:\n${shown}`);
    }
    if (summary.warnings > 0) {
      log(`  note: ${summary.warnings} warnings, e.g. ${diagnostics[0]!.code} ${diagnostics[0]!.message}`);
    }

    const warmRunsMs: number[] = [];
    for (let i = 0; i < (options.warmRuns ?? 5); i++) warmRunsMs.push((await endToEnd()).ms);

    // Where the time goes, stage by stage (warm, medians).
    const stages = { read: [] as number[], load: [] as number[], validate: [] as number[] };
    for (let i = 0; i < (options.warmRuns ?? 5); i++) {
      let t = performance.now();
      const read = await readFolder(root);
      stages.read.push(performance.now() - t);
      t = performance.now();
      const loaded = loadFiles(read.files);
      stages.load.push(performance.now() - t);
      t = performance.now();
      validate({ resources: loaded.resources, loadDiagnostics: loaded.diagnostics, kinds: POLICIES });
      stages.validate.push(performance.now() - t);
    }

    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    const cliRuns = options.cliRuns ?? 3;
    const cli = cliRuns > 0 ? benchCli(root, cliRuns, log) : undefined;

    const files = (await readFolder(root)).files;
    const decoder = new TextDecoder();
    const fastFiles = files.filter((f) => readFast(decoder.decode(f.bytes), LOAD_DEFAULTS) !== undefined).length;
    const guarded: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      loadFiles(files, { fast: false });
      guarded.push(performance.now() - t);
    }

    if (options.keep) log(`  kept: ${root}`);
    return {
      files: summary.files,
      resources: summary.resources,
      bytes: generated.bytes,
      kinds,
      coldMs: cold.ms,
      warmMs: median(warmRunsMs),
      warmRunsMs,
      stagesMs: { read: median(stages.read), load: median(stages.load), validate: median(stages.validate) },
      guardedLoadMs: median(guarded),
      fastFiles,
      peakRssMiB,
      ...(cli && { cli }),
    };
  } finally {
    if (!options.keep) await rm(root, { recursive: true, force: true });
  }
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * dist/cli/main.js, built first when missing or older than src/ (as test/cli/binary.ts does);
 * undefined when the build fails, so the CLI runs are skipped rather than the whole bench.
 */
function builtCli(log: (line: string) => void): string | undefined {
  const main = join(repoRoot, 'dist', 'cli', 'main.js');
  const src = join(repoRoot, 'src');
  const newest = Math.max(...readdirSync(src, { recursive: true, encoding: 'utf8' }).map((f) => statSync(join(src, f)).mtimeMs));
  if (!existsSync(main) || statSync(main).mtimeMs < newest) {
    log('  building dist/ for the CLI runs (npm run build)');
    const build = spawnSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'tsconfig.json')], { encoding: 'utf8' });
    if (build.status !== 0) {
      log(`  CLI runs skipped: npm run build failed: ${`${build.stdout}${build.stderr}`.split('\n')[0]}`);
      return undefined;
    }
  }
  return main;
}

/** Runs `node dist/cli/main.js validate ROOT` `runs` times; the process must exit 0. */
function benchCli(root: string, runs: number, log: (line: string) => void): CliBenchResult | undefined {
  const main = builtCli(log);
  if (!main) return undefined;
  // The child reports its own peak RSS as it exits.
  const hook = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss='+process.resourceUsage().maxRSS))`;
  const run = (args: string[]) => {
    const started = performance.now();
    const child = spawnSync(process.execPath, ['--import', hook, main, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const ms = performance.now() - started;
    if (child.status !== 0) throw new Error(`bench: gitmesh ${args.join(' ')} exited ${child.status}:\n${child.stdout.slice(0, 2000)}${child.stderr.slice(0, 2000)}`);
    return { ms, rssKiB: Number(/maxrss=(\d+)/.exec(child.stderr)?.[1] ?? 0) };
  };
  const runsMs: number[] = [];
  let rssKiB = 0;
  for (let i = 0; i < runs; i++) {
    const { ms, rssKiB: rss } = run(['validate', root]);
    runsMs.push(ms);
    rssKiB = Math.max(rssKiB, rss);
  }
  const start = median(Array.from({ length: runs }, () => run(['--version']).ms));
  return { ms: median(runsMs), runsMs, startMs: start, peakRssMiB: rssKiB / 1024 };
}

/** Files per second for `files` in `ms`. */
const perSecond = (files: number, ms: number) => (files * 1000) / ms;

/**
 * Whether gitmesh beats the bar of issue 2: more files/s than kubeconform's ~5,200 (4 cores, 8
 * workers, schema checks only), on this machine's cores with the semantic checks included;
 * reported for the warm runs, the cold first run, and the CLI process when it ran.
 */
export function barVerdict(r: ValidateBenchResult): { beaten: boolean; lines: string[] } {
  const rows: [string, number][] = [
    ['warm (in process)', perSecond(r.files, r.warmMs)],
    ['cold (first run in process)', perSecond(r.files, r.coldMs)],
    ...(r.cli ? [['CLI process (node start and module loading included)', perSecond(r.files, r.cli.ms)] as [string, number]] : []),
  ];
  const lines = rows.map(([what, rate]) => {
    const ratio = rate / KUBECONFORM_FILES_PER_SECOND;
    return `  ${what}: ${Math.round(rate).toLocaleString('en-US')} files/s = ${ratio.toFixed(2)}x the bar, ${ratio > 1 ? 'BEATEN' : 'not beaten'}`;
  });
  const underSecond = r.coldMs < 1000 && (!r.cli || r.cli.ms < 1000);
  lines.push(`  ${r.files.toLocaleString('en-US')} files in under a second, cold: ${underSecond ? 'yes' : 'NO'} (first run ${r.coldMs.toFixed(0)} ms${r.cli ? `, CLI process ${r.cli.ms.toFixed(0)} ms` : ''})`);
  return { beaten: rows[0]![1] > KUBECONFORM_FILES_PER_SECOND, lines };
}

/** The report lines of a result, ending with the comparison against kubeconform. */
export function formatValidateBench(r: ValidateBenchResult): string[] {
  const rate = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString('en-US');
  const lines = [
    `cold (first run in process, schemas precompiled): ${r.coldMs.toFixed(0)} ms  ${rate(r.files, r.coldMs)} files/s  ${rate(r.resources, r.coldMs)} resources/s`,
    `warm (median of ${r.warmRunsMs.length}: ${r.warmRunsMs.map((ms) => ms.toFixed(0)).join(', ')} ms): ${r.warmMs.toFixed(0)} ms  ${rate(r.files, r.warmMs)} files/s  ${rate(r.resources, r.warmMs)} resources/s`,
    `warm stages (medians): read ${r.stagesMs.read.toFixed(0)} ms, load YAML ${r.stagesMs.load.toFixed(0)} ms, validate ${r.stagesMs.validate.toFixed(0)} ms`,
    `load YAML: ${r.fastFiles} of ${r.files} files the fast way (js-yaml); every file the guarded way (yaml package) would take ${r.guardedLoadMs.toFixed(0)} ms warm`,
    `peak RSS: ${r.peakRssMiB.toFixed(0)} MiB (this process, repository generation included)`,
  ];
  if (r.cli) {
    lines.push(
      `CLI process \`gitmesh validate\` (median of ${r.cli.runsMs.length}: ${r.cli.runsMs.map((ms) => ms.toFixed(0)).join(', ')} ms): ${r.cli.ms.toFixed(0)} ms  ${rate(r.files, r.cli.ms)} files/s; of which \`gitmesh --version\` (node start, module loading) ${r.cli.startMs.toFixed(0)} ms; peak RSS ${r.cli.peakRssMiB.toFixed(0)} MiB`,
    );
  }
  lines.push(`vs kubeconform (~${KUBECONFORM_FILES_PER_SECOND.toLocaleString('en-US')} files/s, 4 cores, 8 workers, schema only); gitmesh on ${cpus().length} cores, 1 thread, schema + semantic checks:`);
  lines.push(...barVerdict(r).lines);
  return lines;
}
