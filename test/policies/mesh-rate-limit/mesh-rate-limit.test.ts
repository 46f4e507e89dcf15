import { test } from 'uvu';
import { registerPolicyCases } from '../../helpers/cases.js';
import { registerGoldenCases } from '../../helpers/compile-cases.js';

registerPolicyCases('mesh-rate-limit');
registerGoldenCases('test/policies/mesh-rate-limit/cases', 'mesh-rate-limit');
test.run();
