// MeshLoadBalancingStrategy: load-balancing algorithm, request hashing and locality (order 400).
import { schemaId } from '../../core/resource.js';
import type { MeshLoadBalancingStrategySpec } from '../../generated/mesh-load-balancing-strategy.js';
import type { PolicyModule } from '../types.js';
import { meshLoadBalancingStrategyXds } from './compile.js';
import { validateMeshLoadBalancingStrategy } from './validate.js';

export const meshLoadBalancingStrategy: PolicyModule<MeshLoadBalancingStrategySpec> = {
  kind: 'MeshLoadBalancingStrategy',
  order: 400,
  schemaId: schemaId('MeshLoadBalancingStrategy'),
  targetRefs: {
    top: ['Mesh', 'MeshSubset', 'MeshGateway', 'MeshService', 'MeshServiceSubset', 'Dataplane'],
    // Under a top-level MeshGateway: no MeshHTTPRoute, and only Mesh when loadBalancer is set: validate.ts.
    to: ['Mesh', 'MeshService', 'MeshMultiZoneService', 'MeshHTTPRoute'],
  },
  validate: validateMeshLoadBalancingStrategy,
  xds: meshLoadBalancingStrategyXds,
};
