// MeshTrafficPermission: which clients may reach the selected proxies' inbounds (order 1100).
import { schemaId } from '../../core/resource.js';
import type { MeshTrafficPermissionSpec } from '../../generated/mesh-traffic-permission.js';
import type { PolicyModule } from '../types.js';
import { meshTrafficPermissionXds, mergeMeshTrafficPermission } from './compile.js';
import { validateMeshTrafficPermission } from './validate.js';

export const meshTrafficPermission: PolicyModule<MeshTrafficPermissionSpec> = {
  kind: 'MeshTrafficPermission',
  order: 1100,
  schemaId: schemaId('MeshTrafficPermission'),
  targetRefs: {
    top: ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset', 'Dataplane'],
    from: ['Mesh', 'MeshSubset', 'MeshService', 'MeshServiceSubset'],
    // `from` is still MeshTrafficPermission's main form in Kuma 2.x; `rules` needs MeshIdentity.
    fromDeprecated: false,
  },
  // `rules` lists combine across policies and a deny anywhere wins: no override, no conflict.
  conflictSections: ['from'],
  validate: validateMeshTrafficPermission,
  mergeInbound: mergeMeshTrafficPermission,
  xds: meshTrafficPermissionXds,
};
