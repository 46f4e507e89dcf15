// End to end with a proxyless grpc-js client (@grpc/grpc-js-xds 1.14), run in its own driver process.
import { fileURLToPath } from 'node:url';
import { registerScenarios } from './scenarios.js';

registerScenarios({
  name: 'grpc-js-xds',
  driver: { command: process.execPath, args: ['--import', 'tsx', fileURLToPath(new URL('./drivers/grpc-js-xds-driver.ts', import.meta.url))] },
  // cluster-resource-type.js: "load_balancing_policy unset and unsupported lb_policy: LEAST_REQUEST".
  unsupportedLbNack: /unsupported lb_policy: LEAST_REQUEST/,
});
