// kernels/tools/engine_session.py is gpu-check.sh's `engine` stage: a miner's window (train, eval,
// save, delta, apply dense and sparse, load, resume, save → load → save) through the line protocol on
// the GPU and on the CPU. The GPU machines have no Node.js, so the script is Python; here it runs with
// two CPU sessions of the real engine (every exact check must pass and both sessions must agree bit
// for bit), and against a proxy engine that changes one reply, which it must catch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';

const SCRIPT = join(ROOT, 'kernels', 'tools', 'engine_session.py');
const ENGINE = join(ROOT, 'kernels', 'build', 'loco-engine');

interface Session { backend: string; failed: string[]; steps: number[]; resume_steps: number[]; params: number }
interface Result { ok: boolean; first: Session; second: Session; max_rel_loss_diff?: number; delta_rel_l2?: number; same_init?: boolean }

function run(engine: string): { status: number | null; result: Result; stderr: string } {
  const r = spawnSync('python3', [SCRIPT, engine, '--devices', 'cpu,cpu'], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, result: JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Result, stderr: r.stderr };
}

test('engine_session.py: a whole window through the line protocol, two CPU sessions, every check passes and they agree', () => {
  const { status, result, stderr } = run(ENGINE);
  assert.equal(status, 0, `${JSON.stringify(result)}\n${stderr}`);
  assert.equal(result.ok, true);
  for (const s of [result.first, result.second]) {
    assert.deepEqual(s.failed, []);
    assert.equal(s.backend, 'cpu');
    assert.equal(s.steps.length, 4);
    assert.equal(s.resume_steps.length, 2);
  }
  // the same engine twice: the same bits (the GPU run compares cuda with cpu to a tolerance)
  assert.equal(result.max_rel_loss_diff, 0);
  assert.equal(result.delta_rel_l2, 0);
  assert.equal(result.same_init, true);
});

test('engine_session.py: an engine whose parameters are not restored after `delta` is caught', () => {
  // a proxy that forwards everything but adds 1e-3 to the first value of the third sample_params
  // reply: the one that must show θ_start again after the delta
  const dir = tempDir('loco-engine-proxy-');
  const proxy = join(dir, 'engine-proxy');
  writeFileSync(
    proxy,
    `#!/usr/bin/env python3
import json, subprocess, sys, threading
child = subprocess.Popen([${JSON.stringify(ENGINE)}] + sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
def pump():
    for line in sys.stdin:
        child.stdin.write(line); child.stdin.flush()
    child.stdin.close()
threading.Thread(target=pump, daemon=True).start()
seen = 0
for line in child.stdout:
    j = json.loads(line)
    if j.get("event") == "done" and "values" in j:
        seen += 1
        if seen == 3:
            j["values"][0] += 1e-3
            line = json.dumps(j) + "\\n"
    sys.stdout.write(line); sys.stdout.flush()
sys.exit(child.wait())
`,
  );
  chmodSync(proxy, 0o755);
  const { status, result } = run(proxy);
  assert.equal(status, 1);
  assert.equal(result.ok, false);
  assert.deepEqual(result.first.failed, ['delta_restore']);
});
