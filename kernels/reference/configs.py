"""The model configs the GPU tools use (the names and shapes of src/trainer/configs.ts; the GPU
machines have no Node.js): shapes for reference/bench.py, and the whole `init` config object of the
engine's line protocol (docs/trainer-protocol.md) for tools/engine_session.py and tools/init_time.py."""

CONFIGS = {
    "tiny": dict(d_model=64, n_layers=2, n_heads=4, d_ff=176, seq_len=64),
    "gpt2-124m": dict(d_model=768, n_layers=12, n_heads=12, d_ff=2048, seq_len=1024),
    "1b": dict(d_model=2048, n_layers=16, n_heads=16, d_ff=5504, seq_len=2048),
}
VOCAB, PADDED = 50257, 50304


def engine_config(name):
    """The config object `init` takes for NAME."""
    return dict(name=name, vocab_size=VOCAB, padded_vocab_size=PADDED, rope_theta=10000, norm_eps=1e-5, init_std=0.02,
                **CONFIGS[name])
