// grpc-js-xds validates RBAC filters only behind this flag (XDS.md); set before the oracle loads.
process.env.GRPC_XDS_EXPERIMENTAL_RBAC = 'true';

import { test } from 'uvu';
import { registerPolicyCases } from '../../helpers/cases.js';
import { registerGoldenCases } from '../../helpers/compile-cases.js';

registerPolicyCases('mesh-traffic-permission');
registerGoldenCases('test/policies/mesh-traffic-permission/cases', 'mesh-traffic-permission');
test.run();
