#!/usr/bin/env python3
"""kernels/tools/init_time.py ENGINE [ENGINE...] [--config gpt2-124m|1b] — the time of the engine's
`init` (best of 3 in one process, allocation included) for each engine binary given, measured in the
same run, with four sampled parameters to show that they initialise the same bits. Prints one JSON line."""
import json, os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from configs import engine_config  # noqa: E402
from engine_session import Engine  # noqa: E402  (the line-protocol client of tools/engine_session.py)


def main(argv):
    config = argv[argv.index("--config") + 1] if "--config" in argv else "gpt2-124m"
    engines = [a for i, a in enumerate(argv) if a != "--config" and (i == 0 or argv[i - 1] != "--config")]
    cfg = engine_config(config)
    runs = []
    for eng in engines:
        e = Engine(eng, "cpu")
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            e.done("init", config=cfg, seed=7)
            best = min(best, time.perf_counter() - t)
        values = e.done("sample_params", indices=[0, 12345, 60000000, 123000000])["values"]
        e.close()
        runs.append({"engine": eng, "init_s": best, "sampled": values})
    print(json.dumps({"tool": "init-time", "config": config, "runs": runs,
                      "same_bits": all(r["sampled"] == runs[0]["sampled"] for r in runs)}))


if __name__ == "__main__":
    main(sys.argv[1:])
