// `npm run bench`: runs the benchmarks and prints their figures (not part of `npm test`).
// Flags: --files N (repository size, default 1000), --runs N (warm runs, default 5), --keep.
// Profile with: node --cpu-prof --cpu-prof-dir=bench/.out --import tsx bench/run.ts
import { parseArgs } from 'node:util';
import { benchValidate, formatValidateBench } from './validate.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
});

console.log(`gitmesh bench — node ${process.version}, ${process.platform}/${process.arch}`);
console.log('\n# validate: readFolder + validateFiles');
const result = await benchValidate({ files: Number(values.files), warmRuns: Number(values.runs), keep: values.keep });
for (const line of formatValidateBench(result)) console.log(line);
