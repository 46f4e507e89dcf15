import { test } from 'uvu';
import { registerPolicyCases } from '../../helpers/cases.js';

registerPolicyCases('mesh-traffic-permission');
test.run();
