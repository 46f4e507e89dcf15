import { test } from 'uvu';
import { registerPolicyCases } from '../../helpers/cases.js';

registerPolicyCases('mesh-circuit-breaker');
test.run();
