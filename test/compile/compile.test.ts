import { test } from 'uvu';
import { registerGoldenCases } from '../helpers/compile-cases.js';

registerGoldenCases('test/compile/cases', 'compile');
test.run();
