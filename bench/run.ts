// `npm run bench`: runs the benchmarks and prints their figures (not part of `npm test`).
// Flags: --files N (repository size, default 1000), --runs N (warm runs, and runs of each fleet
// update phase, default 5), --cli-runs N (runs of the built CLI as a process, default 3; 0 skips
// them), --keep, --proxies N (fleet size, default 1000), --fleet-procs N (client processes of the
// fleet; default the cores left beside the control plane), --fleet-timeout S (limit of each fleet
// phase, default 120), --fleet-profile DIR (a CPU profile of the control plane per fleet phase),
// --gitops-few-runs N (pushes changing one service in the gitops section; default --runs),
// --only SECTION[,SECTION] (validate, compile, fleet, gitops; default all). The fleet flags
// (--proxies, --runs, --fleet-procs, --fleet-timeout, --fleet-profile) apply to gitops too.
// Profile with: node --cpu-prof --cpu-prof-dir=bench/.out --import tsx bench/run.ts
import { parseArgs } from 'node:util';
import { benchCompile, formatCompileBench } from './compile.js';
import { benchFleet, formatFleetBench } from './fleet.js';
import { benchGitops, formatGitopsBench } from './gitops.js';
import { barVerdict, benchValidate, formatValidateBench, KUBECONFORM_FILES_PER_SECOND } from './validate.js';

const SECTIONS = ['validate', 'compile', 'fleet', 'gitops'] as const;

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    'cli-runs': { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    proxies: { type: 'string', default: '1000' },
    'fleet-procs': { type: 'string' },
    'fleet-timeout': { type: 'string', default: '120' },
    'fleet-profile': { type: 'string' },
    'gitops-few-runs': { type: 'string' },
    only: { type: 'string' },
  },
});

const only = values.only === undefined ? [...SECTIONS] : values.only.split(',').map((s) => s.trim());
const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`bench: unknown section(s) ${unknown.join(', ')} in --only (known: ${SECTIONS.join(', ')})`);
  process.exit(2);
}
const run = (section: (typeof SECTIONS)[number]) => only.includes(section);

console.log(`gitmesh bench — node ${process.version}, ${process.platform}/${process.arch}`);
if (run('validate')) {
  console.log('\n# validate: readFolder + validateFiles');
  const result = await benchValidate({ files: Number(values.files), warmRuns: Number(values.runs), cliRuns: Number(values['cli-runs']), keep: values.keep });
  for (const line of formatValidateBench(result)) console.log(line);
  const { beaten } = barVerdict(result);
  console.log(
    `\nbar of issue 2 (> ${KUBECONFORM_FILES_PER_SECOND.toLocaleString('en-US')} files/s, warm): ${beaten ? 'BEATEN' : 'NOT BEATEN'} — ${Math.round((result.files * 1000) / result.warmMs).toLocaleString('en-US')} files/s`,
  );
}

if (run('compile')) {
  console.log('\n# compile: every proxy of a generated mesh (issue 3), compile + snapshot with one encode cache');
  for (const line of formatCompileBench(await benchCompile())) console.log(line);
}

if (run('fleet')) {
  console.log('\n# fleet: simulated proxies on real gRPC ADS streams from separate processes (issue 4)');
  const result = await benchFleet({
    proxies: Number(values.proxies),
    runs: Number(values.runs),
    ...(values['fleet-procs'] !== undefined && { processes: Number(values['fleet-procs']) }),
    timeoutMs: Number(values['fleet-timeout']) * 1000,
    ...(values['fleet-profile'] !== undefined && { profileDir: values['fleet-profile'] }),
    log: (line) => console.log(line),
  });
  for (const line of formatFleetBench(result)) console.log(line);
}

if (run('gitops')) {
  console.log('\n# gitops: git push → webhook → every simulated proxy ACKed (issue 5)');
  const result = await benchGitops({
    proxies: Number(values.proxies),
    runs: Number(values.runs),
    ...(values['gitops-few-runs'] !== undefined && { fewRuns: Number(values['gitops-few-runs']) }),
    ...(values['fleet-procs'] !== undefined && { processes: Number(values['fleet-procs']) }),
    timeoutMs: Number(values['fleet-timeout']) * 1000,
    ...(values['fleet-profile'] !== undefined && { profileDir: values['fleet-profile'] }),
    log: (line) => console.log(line),
  });
  for (const line of formatGitopsBench(result)) console.log(line);
}
