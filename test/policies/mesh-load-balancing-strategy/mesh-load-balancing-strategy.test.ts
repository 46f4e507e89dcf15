import { test } from 'uvu';
import { registerPolicyCases } from '../../helpers/cases.js';

registerPolicyCases('mesh-load-balancing-strategy');
test.run();
