// Positions of a batch grouped by token id, for the embedding backward: dE[t] is the sum of dres over
// the positions holding t. The CUDA backend sums each group in one block, in position order, with no
// atomics, so its result does not depend on scheduling; the grouping is made on the host.
//
// A counting sort, O(n + vocab): the same arrays as sorting the keys (token << 32 | position), which
// the backend did before (0.8 ms for 16,384 tokens with std::sort on the development machine, the GPU
// waiting for it at the start of every step).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

// A clear error, before anything reads an embedding row or a logit by it, for a token id outside
// [0, vocab). `what` names the array ("input", "target").
inline void check_token_ids(const int* ids, size_t n, int vocab, const char* what) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned)ids[i] >= (unsigned)vocab)
      throw std::runtime_error(std::string(what) + " token id " + std::to_string(ids[i]) + " at position " +
                               std::to_string(i) + " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
}

// Both arrays of a batch (inputs x, targets y, n each), as every backend checks them before its
// forward.
inline void check_batch_tokens(const int* x, const int* y, size_t n, int vocab) {
  check_token_ids(x, n, vocab, "input");
  check_token_ids(y, n, vocab, "target");
}

// x[n]: token ids in [0, vocab). Writes pos[n] (the positions, grouped by token, increasing within a
// group), uniq[U] (the distinct tokens, increasing) and starts[U + 1] (group u is
// pos[starts[u] .. starts[u + 1])); returns U. `cursor` is scratch (vocab ints) that the caller may
// keep between calls. Throws on an id outside [0, vocab), having written nothing it promises.
inline int group_positions_by_token(const int* x, size_t n, int vocab, int* pos, int* uniq, int* starts,
                                    std::vector<int>& cursor) {
  if (n > (size_t)2147483647) throw std::runtime_error("group_positions_by_token: more than 2^31 - 1 positions");
  cursor.assign((size_t)vocab, 0);
  for (size_t i = 0; i < n; i++) {
    if ((unsigned)x[i] >= (unsigned)vocab) check_token_ids(x, n, vocab, "input");  // throws, naming the first
    cursor[(size_t)x[i]]++;
  }
  // counts → each group's first slot; the groups in token order
  int U = 0, off = 0;
  for (int t = 0; t < vocab; t++) {
    const int c = cursor[(size_t)t];
    if (c == 0) continue;
    uniq[U] = t;
    starts[U++] = off;
    cursor[(size_t)t] = off;
    off += c;
  }
  starts[U] = off;
  for (size_t i = 0; i < n; i++) pos[cursor[(size_t)x[i]]++] = (int)i;  // increasing i: position order
  return U;
}
