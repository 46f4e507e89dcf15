// `npm run bench`: runs the benchmarks and prints their figures (not part of `npm test`).
// Flags: --files N (repository size, default 1000), --runs N (warm runs, default 5),
// --cli-runs N (runs of the built CLI as a process, default 3; 0 skips them), --keep.
// Profile with: node --cpu-prof --cpu-prof-dir=bench/.out --import tsx bench/run.ts
import { parseArgs } from 'node:util';
import { benchCompile, formatCompileBench } from './compile.js';
import { barVerdict, benchValidate, formatValidateBench, KUBECONFORM_FILES_PER_SECOND } from './validate.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    'cli-runs': { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});

console.log(`gitmesh bench — node ${process.version}, ${process.platform}/${process.arch}`);
console.log('\n# validate: readFolder + validateFiles');
const result = await benchValidate({ files: Number(values.files), warmRuns: Number(values.runs), cliRuns: Number(values['cli-runs']), keep: values.keep });
for (const line of formatValidateBench(result)) console.log(line);
const { beaten } = barVerdict(result);
console.log(
  `\nbar of issue 2 (> ${KUBECONFORM_FILES_PER_SECOND.toLocaleString('en-US')} files/s, warm): ${beaten ? 'BEATEN' : 'NOT BEATEN'} — ${Math.round((result.files * 1000) / result.warmMs).toLocaleString('en-US')} files/s`,
);

console.log('\n# compile: every proxy of a generated mesh (issue 3), compile + snapshot with one encode cache');
for (const line of formatCompileBench(await benchCompile())) console.log(line);
