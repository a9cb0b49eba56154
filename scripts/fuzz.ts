// `npm run fuzz [-- CASES [SEED]]`: the payload fuzzer of test/payload-fuzz.test.ts, for longer
// (default 1,000,000 cases, in rounds of 50,000 with a fresh seed each). Exits 1 on the first
// round with a failure and prints the offending inputs (hex of their first 256 bytes).
import { makeCorpus, runFuzz } from '../src/codec/fuzz.js';

const total = Number(process.argv[2] ?? 1_000_000);
const seed0 = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isInteger(total) || total < 1 || !Number.isInteger(seed0)) {
  console.error('usage: npm run fuzz -- [CASES] [SEED]');
  process.exit(2);
}
const corpus = await makeCorpus(seed0);
const t0 = performance.now();
let done = 0;
let accepted = 0;
let maxMs = 0;
const reasons: Record<string, number> = {};
for (let round = 0; done < total; round++) {
  const n = Math.min(50_000, total - done);
  const seed = seed0 + round;
  const s = await runFuzz(n, seed, corpus);
  done += s.cases;
  accepted += s.accepted;
  maxMs = Math.max(maxMs, s.maxMs);
  for (const [k, v] of Object.entries(s.rejected)) reasons[k] = (reasons[k] ?? 0) + (v ?? 0);
  if (s.failures.length) {
    console.error(`FAIL in round ${round} (seed ${seed}):`);
    for (const f of s.failures) console.error(`  ${f.kind}: ${f.error}\n    ${f.hex}`);
    process.exit(1);
  }
  process.stderr.write(`\r${done.toLocaleString('en-US')} cases, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
process.stderr.write('\n');
console.log(JSON.stringify({ cases: done, seed: seed0, seconds: (performance.now() - t0) / 1000, structurallyAccepted: accepted, slowestCaseMs: maxMs, reasons }, null, 1));
