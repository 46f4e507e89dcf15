// npm start: the main job on the embedded default (example-repo/): validate it, then serve it over xDS.
// Following a Git remote, webhooks and the admin API come with issue 5; this serves the folder as it is.
import { spawn, spawnSync } from 'node:child_process';

const cli = 'dist/cli/main.js';
const checked = spawnSync(process.execPath, [cli, 'validate', 'example-repo'], { stdio: 'inherit' });
if (checked.status !== 0) process.exit(checked.status ?? 1);
const port = process.env.GITMESH_XDS_PORT ?? '5678';
const server = spawn(process.execPath, [cli, 'serve', '--repo', 'example-repo', '--xds-port', port], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
