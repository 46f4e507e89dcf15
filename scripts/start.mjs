// npm start: the main job on the embedded default (example-repo/). Until the xDS server lands,
// that is validating the example mesh; it then says how serving will start.
import { spawnSync } from 'node:child_process';

const result = spawnSync(process.execPath, ['dist/cli/main.js', 'validate', 'example-repo'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
console.log('\nexample-repo/ is valid. Serving it over xDS (gitmesh serve) is not built yet: it comes with the xDS server issue.');
