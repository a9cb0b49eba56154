// build/token-groups-test: the embedding backward's grouping of positions by token
// (src/token_groups.h) against the sort it replaced — std::sort of (token << 32 | position) keys —
// array for array, on random batches (vocabularies from 1 to gpt2's, repeats heavy and rare), empty
// and one-token batches, and ids outside the vocabulary. Prints one JSON line; exits 1 on the first
// failed check, naming it.
//
// build/token-groups-test bench: both on the engine's step shapes (16,384 tokens of gpt2's
// vocabulary), best of 50, one JSON line (`npm run bench -- groups`).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rng.h"
#include "token_groups.h"

static int g_checks = 0;
static void check(bool ok, const std::string& what) {
  g_checks++;
  if (!ok) {
    printf("{\"tool\":\"token-groups-test\",\"ok\":false,\"failed\":\"%s\"}\n", what.c_str());
    exit(1);
  }
}

struct Groups {
  std::vector<int> pos, uniq, starts;
};

// the CUDA backend's grouping before token_groups.h, as it was written there (its arrays allocated
// by the caller; the keys by each call)
static int sort_groups(const int* x, size_t n, int* pos, int* uniq, int* starts) {
  std::vector<uint64_t> key(n);
  for (size_t i = 0; i < n; i++) key[i] = ((uint64_t)(uint32_t)x[i] << 32) | (uint64_t)i;
  std::sort(key.begin(), key.end());
  int U = 0;
  for (size_t i = 0; i < n; i++) {
    pos[i] = (int)(uint32_t)key[i];
    if (i == 0 || (key[i] >> 32) != (key[i - 1] >> 32)) {
      uniq[U] = (int)(uint32_t)(key[i] >> 32);
      starts[U++] = (int)i;
    }
  }
  starts[U] = (int)n;
  return U;
}
static Groups by_sort(const std::vector<int>& x) {
  Groups g;
  g.pos.resize(x.size());
  g.uniq.resize(x.size());
  g.starts.resize(x.size() + 1);
  const int U = sort_groups(x.data(), x.size(), g.pos.data(), g.uniq.data(), g.starts.data());
  g.uniq.resize((size_t)U);
  g.starts.resize((size_t)U + 1);
  return g;
}

static Groups by_count(const std::vector<int>& x, int vocab, std::vector<int>& cursor) {
  const size_t n = x.size();
  Groups g;
  // sentinels past the ends: nothing may be written beyond U + 1 starts or U uniq
  g.pos.assign(n, -7);
  g.uniq.assign(n + 1, -7);
  g.starts.assign(n + 2, -7);
  const int U = group_positions_by_token(x.data(), n, vocab, g.pos.data(), g.uniq.data(), g.starts.data(), cursor);
  check(U >= 0 && (size_t)U <= n, "U in range");
  check(g.uniq[(size_t)U] == -7 && g.starts[(size_t)U + 1] == -7, "nothing written past U");
  g.uniq.resize((size_t)U);
  g.starts.resize((size_t)U + 1);
  return g;
}

int main(int argc, char** argv) {
  const bool bench = argc > 1 && std::string(argv[1]) == "bench";
  SplitMix64 rng(20261127);
  std::vector<int> cursor;
  if (bench) {
    const size_t n = 16384;
    const int vocab = 50257;
    std::vector<int> x(n), pos(n), uniq(n), starts(n + 1);
    for (auto& t : x) t = (int)(rng.next() % (uint64_t)vocab);
    const auto time = [&](auto&& f) {
      double best = 1e30;
      for (int r = 0; r < 50; r++) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
      return best;
    };
    volatile int sink = 0;
    const double sort_us = time([&] { sink = sink + sort_groups(x.data(), n, pos.data(), uniq.data(), starts.data()); });
    const double count_us = time([&] {
      sink = sink + group_positions_by_token(x.data(), n, vocab, pos.data(), uniq.data(), starts.data(), cursor);
    });
    printf("{\"tool\":\"token-groups-test\",\"mode\":\"bench\",\"tokens\":%zu,\"vocab\":%d,\"reps\":50,"
           "\"sort_us\":%.1f,\"count_us\":%.1f,\"speedup\":%.2f}\n",
           n, vocab, sort_us, count_us, sort_us / count_us);
    return 0;
  }

  // random batches: small vocabularies (every token repeated many times), gpt2's, and n ≪ vocab
  const int vocabs[] = {1, 2, 7, 256, 50257, 1 << 20};
  const size_t sizes[] = {0, 1, 2, 3, 17, 1000, 16384};
  for (int vocab : vocabs)
    for (size_t n : sizes) {
      std::vector<int> x(n);
      for (auto& t : x) t = (int)(rng.next() % (uint64_t)vocab);
      const Groups a = by_sort(x), b = by_count(x, vocab, cursor);
      const std::string at = " (vocab " + std::to_string(vocab) + ", n " + std::to_string(n) + ")";
      check(a.pos == b.pos, "pos" + at);
      check(a.uniq == b.uniq, "uniq" + at);
      check(a.starts == b.starts, "starts" + at);
    }
  // one token everywhere, at the vocabulary's last id; the same scratch reused at another vocabulary
  {
    std::vector<int> x(513, 99);
    const Groups a = by_sort(x), b = by_count(x, 100, cursor);
    check(a.pos == b.pos && a.uniq == b.uniq && a.starts == b.starts && b.uniq.size() == 1, "one token");
    const Groups c = by_count(std::vector<int>{3, 0, 3, 1, 0}, 4, cursor);
    check(c.pos == std::vector<int>({1, 4, 3, 0, 2}), "worked example: pos");
    check(c.uniq == std::vector<int>({0, 1, 3}), "worked example: uniq");
    check(c.starts == std::vector<int>({0, 2, 3, 5}), "worked example: starts");
  }
  // ids outside [0, vocab): a clear error naming the first one
  for (int bad : {-1, 10, 1 << 30}) {
    std::vector<int> x = {1, 2, bad, 3, -5};
    std::vector<int> pos(5), uniq(5), starts(6);
    std::string why;
    try {
      group_positions_by_token(x.data(), x.size(), 10, pos.data(), uniq.data(), starts.data(), cursor);
    } catch (const std::exception& e) {
      why = e.what();
    }
    check(why.find("input token id " + std::to_string(bad) + " at position 2 is outside the vocabulary [0, 10)") !=
              std::string::npos,
          "bad id " + std::to_string(bad) + ": " + why);
  }
  {
    std::string why;
    const int y[] = {0, 4, 5};
    try {
      check_token_ids(y, 3, 5, "target");
    } catch (const std::exception& e) {
      why = e.what();
    }
    check(why == "target token id 5 at position 2 is outside the vocabulary [0, 5)", "check_token_ids: " + why);
    check_token_ids(y, 2, 5, "target");  // in range: no throw
    why.clear();
    const int x[] = {0, 1, 2};
    try {
      check_batch_tokens(x, y, 3, 5);
    } catch (const std::exception& e) {
      why = e.what();
    }
    check(why == "target token id 5 at position 2 is outside the vocabulary [0, 5)", "check_batch_tokens: " + why);
  }

  printf("{\"tool\":\"token-groups-test\",\"ok\":true,\"checks\":%d}\n", g_checks);
  return 0;
}
