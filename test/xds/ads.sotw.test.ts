// The ADS conformance suite against the State-of-the-World server (grpc-js, 127.0.0.1, port 0).
import { startAdsServer } from '../../src/xds/ads/server.js';
import { runAdsConformance } from './ads.conformance.js';

runAdsConformance({
  name: 'SotW',
  start: async (source) => {
    const server = await startAdsServer({ source, host: '127.0.0.1', port: 0 });
    return { address: server.address, proxy: (nodeId) => server.service.proxy(nodeId), close: () => server.close() };
  },
});
