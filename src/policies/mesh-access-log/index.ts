// MeshAccessLog: access logs to a file, a TCP collector or OpenTelemetry (order 600).
import { schemaId } from '../../core/resource.js';
import type { MeshAccessLogSpec } from '../../generated/mesh-access-log.js';
import type { PolicyModule } from '../types.js';
import { meshAccessLogXds } from './compile.js';
import { validateMeshAccessLog } from './validate.js';

export const meshAccessLog: PolicyModule<MeshAccessLogSpec> = {
  kind: 'MeshAccessLog',
  order: 600,
  schemaId: schemaId('MeshAccessLog'),
  targetRefs: {
    top: ['Mesh', 'MeshSubset', 'MeshGateway', 'MeshService', 'MeshServiceSubset', 'Dataplane'],
    to: ['Mesh', 'MeshService', 'MeshExternalService', 'MeshMultiZoneService', 'MeshHTTPRoute'],
    from: ['Mesh'],
  },
  validate: validateMeshAccessLog,
  xds: meshAccessLogXds,
};
