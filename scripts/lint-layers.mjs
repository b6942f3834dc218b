// Checks the layers of src/ (.dependency-cruiser.mjs, drawn in docs/architecture.md) and fails
// on any violation. Not the depcruise command: its exit code is the number of errors, which a
// shell reads modulo 256, so 256 violations would pass.
import { cruise } from 'dependency-cruiser';
import extractDepcruiseConfig from 'dependency-cruiser/config-utl/extract-depcruise-config';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const ruleSet = await extractDepcruiseConfig('./.dependency-cruiser.mjs');
const { output, exitCode } = await cruise(
  ['src'],
  { ...ruleSet.options, ruleSet, validate: true, outputType: 'err-long' },
  {},
  { tsConfig: extractTSConfig('tsconfig.json') },
);
process.stdout.write(String(output));
process.exitCode = exitCode === 0 ? 0 : 1;
