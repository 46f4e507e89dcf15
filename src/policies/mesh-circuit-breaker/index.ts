// MeshCircuitBreaker: connection limits and outlier detection, outbound and inbound (order 1300).
import { schemaId } from '../../core/resource.js';
import type { MeshCircuitBreakerSpec } from '../../generated/mesh-circuit-breaker.js';
import type { PolicyModule } from '../types.js';
import { meshCircuitBreakerXds } from './compile.js';
import { validateMeshCircuitBreaker } from './validate.js';

export const meshCircuitBreaker: PolicyModule<MeshCircuitBreakerSpec> = {
  kind: 'MeshCircuitBreaker',
  order: 1300,
  schemaId: schemaId('MeshCircuitBreaker'),
  targetRefs: {
    top: ['Mesh', 'MeshSubset', 'MeshService', 'MeshGateway', 'MeshServiceSubset', 'Dataplane'],
    // MeshExternalService only under a top-level Mesh (validate.ts).
    to: ['Mesh', 'MeshService', 'MeshExternalService', 'MeshMultiZoneService'],
    from: ['Mesh'],
  },
  validate: validateMeshCircuitBreaker,
  xds: meshCircuitBreakerXds,
};
