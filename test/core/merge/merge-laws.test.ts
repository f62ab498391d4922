// Every merge driver against the one law suite (test/conformance/merge-laws.suite.ts), with the inputs
// of its format. A driver added to DRIVER_NAMES without law inputs fails to compile in merge-formats.ts.
import { DRIVER_NAMES, mergeDriver } from '../../../src/core/merge/driver-choice.js';
import { mergeDriverLaws } from '../../conformance/merge-laws.suite.js';
import { MERGE_LAW_FORMATS } from '../../conformance/merge-formats.js';

for (const name of DRIVER_NAMES) mergeDriverLaws(name, mergeDriver(name), MERGE_LAW_FORMATS[name], { numRuns: 200 });
