// MeshHealthCheck: active health checks of outbound destinations (order 1200).
import { schemaId } from '../../core/resource.js';
import type { MeshHealthCheckSpec } from '../../generated/mesh-health-check.js';
import type { PolicyModule } from '../types.js';
import { meshHealthCheckXds } from './compile.js';
import { validateMeshHealthCheck } from './validate.js';

export const meshHealthCheck: PolicyModule<MeshHealthCheckSpec> = {
  kind: 'MeshHealthCheck',
  order: 1200,
  schemaId: schemaId('MeshHealthCheck'),
  targetRefs: {
    top: ['Mesh', 'MeshSubset', 'MeshGateway', 'MeshService', 'MeshServiceSubset', 'Dataplane'],
    // MeshExternalService only under a top-level Mesh (validate.ts).
    to: ['Mesh', 'MeshService', 'MeshExternalService', 'MeshMultiZoneService'],
  },
  validate: validateMeshHealthCheck,
  xds: meshHealthCheckXds,
};
