// npm start: the main job on the embedded default. example-repo/ becomes a local Git repository under
// .gitmesh/ (made with isomorphic-git, so no git binary is needed), and `gitmesh serve` follows it:
// xDS on :5678, the admin API on :5680, the state dir beside it. A commit there goes live at once.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join, relative } from 'node:path';
import git from 'isomorphic-git';

const cli = 'dist/cli/main.js';
const home = process.env.GITMESH_HOME ?? '.gitmesh';
const repo = join(home, 'example-repo');
const stateDir = join(home, 'state');
const xdsPort = process.env.GITMESH_XDS_PORT ?? '5678';
const httpPort = process.env.GITMESH_HTTP_PORT ?? '5680';

const checked = spawnSync(process.execPath, [cli, 'validate', 'example-repo'], { stdio: 'inherit' });
if (checked.status !== 0) process.exit(checked.status ?? 1);

/** Every file under `dir`, relative to it. */
function filesOf(dir, prefix = '') {
  return fs.readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = join(prefix, entry.name);
    return entry.isDirectory() ? filesOf(dir, path) : [path];
  });
}

if (!fs.existsSync(join(repo, '.git'))) {
  fs.mkdirSync(repo, { recursive: true });
  await git.init({ fs, dir: repo, defaultBranch: 'main' });
  for (const path of filesOf('example-repo')) {
    fs.mkdirSync(join(repo, path, '..'), { recursive: true });
    fs.copyFileSync(join('example-repo', path), join(repo, path));
    await git.add({ fs, dir: repo, filepath: path.split('\\').join('/') });
  }
  const author = { name: 'gitmesh', email: 'gitmesh@localhost' };
  await git.commit({ fs, dir: repo, message: 'example-repo: the embedded example mesh', author, committer: author });
  console.log(`gitmesh: made a Git repository of example-repo/ in ${repo}`);
} else {
  console.log(`gitmesh: following ${repo} (delete ${home}/ to start over from example-repo/)`);
}

console.log(`
Try it:
  curl -s localhost:${httpPort}/api/v1/status            # what is live
  curl -s localhost:${httpPort}/api/v1/proxies           # who is connected, what they ACKed
  cd ${relative(process.cwd(), repo)} && sed -i '0,/requestTimeout: 15s/s//requestTimeout: 3s/' policies/timeouts.yaml \\
    && git commit -qam "3s request timeout"           # goes live at once (the ref is watched)
`);

const server = spawn(
  process.execPath,
  [cli, 'serve', '--repo', repo, '--ref', 'main', '--state-dir', stateDir, '--xds-port', xdsPort, '--http-port', httpPort],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
