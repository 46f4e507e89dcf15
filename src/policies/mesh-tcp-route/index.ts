// MeshTCPRoute: L4 weighted splits of TCP connections (order 200).
import { schemaId } from '../../core/resource.js';
import type { MeshTCPRouteSpec } from '../../generated/mesh-tcp-route.js';
import type { PolicyModule } from '../types.js';
import { meshTCPRouteXds, tcpRouteOutboundConf } from './compile.js';
import { validateMeshTCPRoute } from './validate.js';

export const meshTCPRoute: PolicyModule<MeshTCPRouteSpec> = {
  kind: 'MeshTCPRoute',
  order: 200,
  schemaId: schemaId('MeshTCPRoute'),
  targetRefs: {
    top: ['Mesh', 'MeshGateway', 'MeshSubset', 'MeshService', 'MeshServiceSubset', 'Dataplane'],
    // Mesh only under a top-level MeshGateway, the service kinds only without one: validate.ts.
    to: ['Mesh', 'MeshService', 'MeshExternalService', 'MeshMultiZoneService'],
  },
  validate: validateMeshTCPRoute,
  // A `to[]` item has no `default`: its one rule's `default` is the conf (RFC 7396 merge).
  outboundConf: tcpRouteOutboundConf,
  xds: meshTCPRouteXds,
};
