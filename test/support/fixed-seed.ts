// Preloaded into every test process by scripts/run-tests.mjs: property tests that name no seed of
// their own run from this one, so CI is never a lottery. PORTSPACE_FC_SEED=<n> explores another
// (a command you run, not a test); a failure prints the seed and path to replay it.
import fc from 'fast-check';

const FIXED_SEED = 20261202;
const given = process.env.PORTSPACE_FC_SEED;
const seed = given === undefined || given === '' ? FIXED_SEED : Number(given);
if (!Number.isSafeInteger(seed)) {
  throw new Error(`PORTSPACE_FC_SEED must be an integer, got ${JSON.stringify(given)}`);
}
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
