import { test } from 'uvu';
import { registerPolicyCases } from '../../helpers/cases.js';
import { registerGoldenCases } from '../../helpers/compile-cases.js';

registerPolicyCases('mesh-tcp-route');
registerGoldenCases('test/policies/mesh-tcp-route/cases', 'mesh-tcp-route');
test.run();
