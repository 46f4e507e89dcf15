// DESIGN.md §6: the flavour comes from the client (gRPC user agent, or node metadata), not only from the Dataplane's label.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServing } from '../../src/reconcile/serve.js';
import { SOTW_ADS_METHOD, type DiscoveryRequestInput, type DiscoveryResponse } from '../../src/xds/ads/codec.js';
import { TYPE_URLS } from '../../src/xds/type-urls.js';
import { BASE_MESH, CLIENT_OF_BACKEND, tempRepo } from '../helpers/cli.js';
import { AdsStream, decodedName, shortType } from '../xds/ads-harness.js';

async function listenerNames(address: string, node: NonNullable<DiscoveryRequestInput['node']>): Promise<string[]> {
  const stream = new AdsStream<DiscoveryRequestInput, DiscoveryResponse>(address, SOTW_ADS_METHOD, (r) => shortType(r.type_url));
  try {
    stream.send({ node, type_url: TYPE_URLS.lds, resource_names: ['backend'] });
    const response = await stream.next();
    return response.resources.map((any) => decodedName(any.type_url, any.value));
  } finally {
    stream.close();
  }
}

test('a gRPC client (by user agent or by node metadata) on an unlabelled Dataplane gets the proxyless flavour; Envoy gets the sidecar', async () => {
  const dir = await tempRepo({ 'mesh.yaml': BASE_MESH, 'client.yaml': CLIENT_OF_BACKEND });
  const serving = await startServing({ repo: dir, xdsPort: 0, host: '127.0.0.1' });
  try {
    const envoy = await listenerNames(serving.address, { id: 'default.client-1', user_agent_name: 'envoy' });
    assert.ok(!envoy.includes('backend'), `a sidecar has socket listeners, no api_listener named backend: ${envoy}`);
    const grpcAgent = await listenerNames(serving.address, { id: 'default.client-1', user_agent_name: 'gRPC Node Pure-JS' });
    assert.equal(grpcAgent, ['backend'], 'the api_listener a proxyless client dials as xds:///backend');
    const grpcLabel = await listenerNames(serving.address, { id: 'default.client-1', metadata: { 'gitmesh.io/proxyless': true } });
    assert.equal(grpcLabel, ['backend']);
    assert.is(serving.ads.service.proxy('default.client-1')?.flavour, 'grpc');
  } finally {
    await serving.close();
  }
});

test.run();
