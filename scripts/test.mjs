// Runs every uvu test file (test/**/*.test.ts) under tsx and ends with "N passed, N failed".
import { spawn } from 'node:child_process';

// An argument narrows the run to test files whose path matches it.
const pattern = process.argv[2] ? `(?=.*${process.argv[2]}).*\\.test\\.ts$` : '\\.test\\.ts$';
const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', pattern], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});
child.on('close', (code) => {
  const total = Number(/Total:\s+(\d+)/.exec(tail)?.[1] ?? 0);
  const passed = Number(/Passed:\s+(\d+)/.exec(tail)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(tail)?.[1] ?? 0);
  const failed = Math.max(total - passed - skipped, code === 0 ? 0 : 1);
  console.log(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = code === 0 && failed === 0 && total > 0 ? 0 : 1;
});
