#!/usr/bin/env python3
"""kernels/tools/init_time.py ENGINE [ENGINE...] [--config gpt2-124m|1b] — the time of the engine's
`init` (best of 3 in one process, allocation included) for each engine binary given, measured in the
same run, with four sampled parameters to show that they initialise the same bits. Prints one JSON line."""
import json, os, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from configs import engine_config  # noqa: E402


def main(argv):
    config = argv[argv.index("--config") + 1] if "--config" in argv else "gpt2-124m"
    engines = [a for i, a in enumerate(argv) if a != "--config" and (i == 0 or argv[i - 1] != "--config")]
    cfg = engine_config(config)
    runs = []
    for eng in engines:
        p = subprocess.Popen([eng, "--device", "cpu"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        p.stdout.readline()  # ready
        best = float("inf")
        for i in range(3):
            t = time.perf_counter()
            p.stdin.write(json.dumps({"id": i + 1, "cmd": "init", "config": cfg, "seed": 7}) + "\n")
            p.stdin.flush()
            json.loads(p.stdout.readline())
            best = min(best, time.perf_counter() - t)
        p.stdin.write(json.dumps({"id": 9, "cmd": "sample_params", "indices": [0, 12345, 60000000, 123000000]}) + "\n")
        p.stdin.flush()
        values = json.loads(p.stdout.readline())["values"]
        p.stdin.write('{"id":10,"cmd":"shutdown"}\n')
        p.stdin.flush()
        p.wait()
        runs.append({"engine": eng, "init_s": best, "sampled": values})
    print(json.dumps({"tool": "init-time", "config": config, "runs": runs,
                      "same_bits": all(r["sampled"] == runs[0]["sampled"] for r in runs)}))


if __name__ == "__main__":
    main(sys.argv[1:])
