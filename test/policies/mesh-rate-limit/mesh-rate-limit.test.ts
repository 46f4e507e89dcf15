import { test } from 'uvu';
import { registerPolicyCases } from '../../helpers/cases.js';

registerPolicyCases('mesh-rate-limit');
test.run();
