// MeshTimeout: connect, idle, request and stream timeouts (order 1000).
import { schemaId } from '../../core/resource.js';
import type { MeshTimeoutSpec } from '../../generated/mesh-timeout.js';
import type { PolicyModule } from '../types.js';
import { meshTimeoutXds } from './compile.js';
import { validateMeshTimeout } from './validate.js';

export const meshTimeout: PolicyModule<MeshTimeoutSpec> = {
  kind: 'MeshTimeout',
  order: 1000,
  schemaId: schemaId('MeshTimeout'),
  targetRefs: {
    top: ['Mesh', 'MeshSubset', 'Dataplane', 'MeshGateway', 'MeshService', 'MeshServiceSubset', 'MeshHTTPRoute'],
    to: ['Mesh', 'MeshService', 'MeshExternalService', 'MeshMultiZoneService', 'MeshHTTPRoute'],
    from: ['Mesh'],
  },
  validate: validateMeshTimeout,
  xds: meshTimeoutXds,
};
