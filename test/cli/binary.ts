// The built `gitmesh` binary for tests that spawn it: built once, as `npm run build` does, if stale.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

let built: string | undefined;

/**
 * Absolute path of dist/cli/main.js. `npm test` builds first; a direct `node scripts/test.mjs`
 * may find dist/ missing or older than src/, and then it is rebuilt here (throws if tsc fails).
 */
export function builtCli(): string {
  if (built) return built;
  const main = resolve('dist', 'cli', 'main.js');
  const newestSource = Math.max(...readdirSync('src', { recursive: true, encoding: 'utf8' }).map((f) => statSync(join('src', f)).mtimeMs));
  if (!existsSync(main) || statSync(main).mtimeMs < newestSource) {
    const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  }
  built = main;
  return main;
}
