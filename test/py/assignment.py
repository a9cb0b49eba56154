"""Independent implementation of loco's data assignment (docs/protocol.md), for cross-checks.

usage: assignment.py MANIFEST_HASH_HEX N K WINDOW UID  -> prints the assigned sample ids
"""
import hashlib
import struct
import sys

M64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.s = seed & M64

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M64
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, n):
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = self.next()
            if x < limit:
                return x % n


def assigned(mhash, n, k, window, uid):
    seed = int.from_bytes(hashlib.sha256(b"loco/assign/v1" + mhash + struct.pack("<Q", window)).digest()[:8], "little")
    rng = SplitMix64(seed)
    s = uid % (n // k)
    a = {}
    out = []
    for i in range((s + 1) * k):
        j = i + rng.below(n - i)
        ai, aj = a.get(i, i), a.get(j, j)
        a[j] = ai
        out.append(aj)
    return out[s * k:]


if __name__ == "__main__":
    h, n, k, w, u = sys.argv[1:6]
    print(" ".join(map(str, assigned(bytes.fromhex(h), int(n), int(k), int(w), int(u)))))
