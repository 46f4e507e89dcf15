// Dataplane validation cases: schema and Kuma's dataplane_validator.go rules, as YAML files.
import { test } from 'uvu';
import { registerCases } from '../../helpers/cases.js';

registerCases('test/validate/dataplane/cases', 'dataplane');
test.run();
