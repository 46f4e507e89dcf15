// MeshHTTPRoute: L7 routing, weighted splits and filters for HTTP traffic (order 100).
import { schemaId } from '../../core/resource.js';
import type { MeshHTTPRouteSpec } from '../../generated/mesh-http-route.js';
import type { PolicyModule } from '../types.js';
import { httpRouteOutboundConf, meshHTTPRouteXds, mergeHTTPRouteConfs } from './compile.js';
import { validateMeshHTTPRoute } from './validate.js';

export const meshHTTPRoute: PolicyModule<MeshHTTPRouteSpec> = {
  kind: 'MeshHTTPRoute',
  order: 100,
  schemaId: schemaId('MeshHTTPRoute'),
  targetRefs: {
    top: ['Mesh', 'MeshGateway', 'MeshSubset', 'MeshService', 'MeshServiceSubset', 'Dataplane'],
    // Mesh only under a top-level MeshGateway, the service kinds only without one: validate.ts.
    to: ['Mesh', 'MeshService', 'MeshExternalService', 'MeshMultiZoneService'],
  },
  validate: validateMeshHTTPRoute,
  // Rules merge by their `matches`, not as one RFC 7396 document (KUMA.md §3.3 item 4).
  outboundConf: httpRouteOutboundConf,
  mergeOutbound: mergeHTTPRouteConfs,
  xds: meshHTTPRouteXds,
};
