// End to end with gRPC C-core as a proxyless client: Debian's python3-grpcio (1.51), run in its own driver process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { registerScenarios } from './scenarios.js';

/** The system interpreter, which has Debian's grpcio; never the pyenv one on PATH. */
const PYTHON = '/usr/bin/python3';

registerScenarios({
  name: 'grpc-core',
  async ensureAvailable() {
    try {
      await promisify(execFile)(PYTHON, ['-c', 'import grpc']);
    } catch (error) {
      const reason = ((error as { stderr?: string }).stderr ?? String(error)).trim().split('\n').at(-1);
      throw new Error(`the C-core client is Debian's python3-grpcio, and \`${PYTHON} -c 'import grpc'\` failed (${reason}): apt-get install python3-grpcio`);
    }
  },
  driver: {
    command: PYTHON,
    args: [fileURLToPath(new URL('./drivers/ccore_driver.py', import.meta.url))],
    // An idle grpcio process reads xDS updates only when its backup poller runs (every 5 s by default);
    // RPCs that fail inside the client (an injected abort) poll nothing either.
    env: { GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS: '100' },
  },
  unsupportedLbNack: /field:lb_policy error:LB policy is not supported/,
  timeoutsFireEarly: 'grpcio applies service-config timeouts up to ~2 s early (grpc/grpc#34547); a 2 s methodConfig timeout alone fails a 1.5 s call in ~35 ms',
});
