// Mesh validation cases: schema and Kuma's mesh_validator.go rules, as YAML files.
import { test } from 'uvu';
import { registerCases } from '../../helpers/cases.js';

registerCases('test/validate/mesh/cases', 'mesh');
test.run();
