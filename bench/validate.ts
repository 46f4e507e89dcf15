// Benchmark of `gitmesh validate`'s work: readFolder + validateFiles over a generated repository.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KINDS, schemaId, type Kind } from '../src/core/resource.js';
import { SCHEMAS } from '../src/generated/schemas.js';
import { loadFiles } from '../src/load/load.js';
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
  readonly log?: (line: string) => void;
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
  readonly peakRssMiB: number;
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
 * end: once cold (the first run compiles the ajv schemas) and `warmRuns` times warm. Throws when
 * the repository does not validate with 0 errors: the bench would measure the wrong thing.
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
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    if (!options.keep) await rm(root, { recursive: true, force: true });
  }
}

/** The report lines of a result, ending with the comparison against kubeconform. */
export function formatValidateBench(r: ValidateBenchResult): string[] {
  const rate = (n: number, ms: number) => Math.round((n * 1000) / ms).toLocaleString('en-US');
  const filesPerSecond = (r.files * 1000) / r.warmMs;
  return [
    `cold (first run, ajv compile included): ${r.coldMs.toFixed(0)} ms  ${rate(r.files, r.coldMs)} files/s  ${rate(r.resources, r.coldMs)} resources/s`,
    `warm (median of ${r.warmRunsMs.length}: ${r.warmRunsMs.map((ms) => ms.toFixed(0)).join(', ')} ms): ${r.warmMs.toFixed(0)} ms  ${rate(r.files, r.warmMs)} files/s  ${rate(r.resources, r.warmMs)} resources/s`,
    `warm stages (medians): read ${r.stagesMs.read.toFixed(0)} ms, load YAML ${r.stagesMs.load.toFixed(0)} ms, validate ${r.stagesMs.validate.toFixed(0)} ms`,
    `peak RSS: ${r.peakRssMiB.toFixed(0)} MiB`,
    `vs kubeconform (~${KUBECONFORM_FILES_PER_SECOND.toLocaleString('en-US')} files/s, 4 cores, 8 workers, schema only): gitmesh ${Math.round(filesPerSecond).toLocaleString('en-US')} files/s warm on ${cpus().length} cores, 1 thread, schema + semantic checks = ${(filesPerSecond / KUBECONFORM_FILES_PER_SECOND).toFixed(2)}x the bar`,
  ];
}
