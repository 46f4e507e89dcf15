// MeshFaultInjection: HTTP aborts, delays and response bandwidth limits (order 800).
import { schemaId } from '../../core/resource.js';
import type { MeshFaultInjectionSpec } from '../../generated/mesh-fault-injection.js';
import type { PolicyModule } from '../types.js';
import { meshFaultInjectionXds } from './compile.js';
import { validateMeshFaultInjection } from './validate.js';

export const meshFaultInjection: PolicyModule<MeshFaultInjectionSpec> = {
  kind: 'MeshFaultInjection',
  order: 800,
  schemaId: schemaId('MeshFaultInjection'),
  targetRefs: {
    top: ['Mesh', 'MeshSubset', 'MeshGateway', 'MeshService', 'MeshServiceSubset', 'Dataplane'],
    to: ['Mesh'],
    from: ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'],
    // Kuma 2.x does not deprecate MeshFaultInjection's `from` (only MeshService in it).
    fromDeprecated: false,
  },
  validate: validateMeshFaultInjection,
  xds: meshFaultInjectionXds,
};
