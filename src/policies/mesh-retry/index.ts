// MeshRetry: retries of TCP connections and HTTP/gRPC requests, per destination (order 1400).
import { schemaId } from '../../core/resource.js';
import type { MeshRetrySpec } from '../../generated/mesh-retry.js';
import type { PolicyModule } from '../types.js';
import { meshRetryXds } from './compile.js';
import { validateMeshRetry } from './validate.js';

export const meshRetry: PolicyModule<MeshRetrySpec> = {
  kind: 'MeshRetry',
  order: 1400,
  schemaId: schemaId('MeshRetry'),
  targetRefs: {
    top: ['Mesh', 'MeshSubset', 'MeshGateway', 'MeshService', 'MeshServiceSubset', 'MeshHTTPRoute', 'Dataplane'],
    // With a top-level MeshHTTPRoute or MeshGateway only Mesh and MeshExternalService (validate.ts).
    to: ['Mesh', 'MeshService', 'MeshExternalService', 'MeshMultiZoneService', 'MeshHTTPRoute'],
  },
  validate: validateMeshRetry,
  xds: meshRetryXds,
};
