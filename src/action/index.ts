// The action's entry (action.yml runs its bundle, dist-action/index.mjs): run() with this process's environment; its exit code is the step's.
import { run } from './main.js';

process.exitCode = await run({ env: process.env, write: (text) => void process.stdout.write(text) });
