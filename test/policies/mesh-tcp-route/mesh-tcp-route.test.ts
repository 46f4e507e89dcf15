import { test } from 'uvu';
import { registerPolicyCases } from '../../helpers/cases.js';

registerPolicyCases('mesh-tcp-route');
test.run();
