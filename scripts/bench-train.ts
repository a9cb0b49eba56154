// Training-engine benchmark from the command line (the library is src/trainer/bench.ts). Usage:
//   node --import tsx scripts/bench-train.ts [--configs tiny,small] [--steps 5] [--micro-batch 8] [--threads N] [--json]
import { benchMatmul, benchTrain, type TrainBench } from '../src/trainer/bench.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (k: string, d: string) => {
    const i = argv.indexOf(k);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d;
  };
  const json = argv.includes('--json');
  const configs = arg('--configs', 'tiny,small').split(',');
  const steps = Number(arg('--steps', '5'));
  const mb = Number(arg('--micro-batch', '8'));
  const threads = argv.includes('--threads') ? Number(arg('--threads', '0')) : undefined;
  const mm = benchMatmul();
  if (!json && mm) console.log(`gemm 1024³ (${mm.impl}): ${mm.gflops.toFixed(1)} GFLOP/s`);
  const rows: TrainBench[] = [];
  for (const name of configs) {
    const r = await benchTrain(name, { steps, microBatch: mb, threads });
    rows.push(r);
    if (!json) {
      console.log(
        `${name.padEnd(10)} B=${r.micro_batch} T=${r.seq_len}: ${r.tokens_per_s.toFixed(0)} tokens/s, ` +
          `${r.ms_per_step.toFixed(0)} ms/step, executed ${r.executed_gflops.toFixed(1)} GFLOP/s; ` +
          `best step ${r.best_ms_per_step.toFixed(0)} ms = ${r.best_tokens_per_s.toFixed(0)} tokens/s = ${r.best_executed_gflops.toFixed(1)} GFLOP/s ` +
          `(${(r.executed_flops_per_token / 1e6).toFixed(1)} MFLOP/token), model-convention ${r.model_gflops.toFixed(1)} GFLOP/s ` +
          `[${r.backend}, load ${r.loadavg_1m.toFixed(2)}]`,
      );
    }
  }
  if (json) console.log(JSON.stringify({ matmul: mm, train: rows }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
