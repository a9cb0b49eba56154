// The Gauntlet holds (issue #6) with S3 storage: the scenario of test/gauntlet-holds.test.ts with every
// participant's objects in an S3 bucket (s3rver on loopback, started and stopped by the scenario).
// S3's LastModified has whole seconds, so the copier's re-signed upload usually lands in its victim's
// second; the copy check must still find the right one (the copier has the lower uid).
import { test } from 'node:test';
import { assertGauntletHolds, runGauntletScenario } from './helpers/gauntlet-scenario.js';

test('the Gauntlet holds (S3 storage on s3rver): honest miners ≥ 90 % of the weight on chain, each adversary ≤ 2 %, loss down', { timeout: 280_000 }, async () => {
  const r = await runGauntletScenario({ storage: 's3', windows: 8, vocab: process.env.LOCO_GAUNTLET_FULL_VOCAB ? undefined : 4096, verbose: !!process.env.LOCO_TEST_VERBOSE });
  assertGauntletHolds(r);
});
