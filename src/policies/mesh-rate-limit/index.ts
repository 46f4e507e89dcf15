// MeshRateLimit: local HTTP request and TCP connection rate limits (order 900).
import { schemaId } from '../../core/resource.js';
import type { MeshRateLimitSpec } from '../../generated/mesh-rate-limit.js';
import type { PolicyModule } from '../types.js';
import { meshRateLimitXds } from './compile.js';
import { validateMeshRateLimit } from './validate.js';

export const meshRateLimit: PolicyModule<MeshRateLimitSpec> = {
  kind: 'MeshRateLimit',
  order: 900,
  schemaId: schemaId('MeshRateLimit'),
  targetRefs: {
    top: ['Mesh', 'MeshSubset', 'MeshGateway', 'MeshService', 'MeshServiceSubset', 'MeshHTTPRoute', 'Dataplane'],
    to: ['Mesh'],
    from: ['Mesh'],
  },
  validate: validateMeshRateLimit,
  xds: meshRateLimitXds,
};
