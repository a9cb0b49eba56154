#include "checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

static const char MAGIC[8] = {'L', 'O', 'C', 'O', 'C', 'K', 'P', 'T'};

Json seed_to_json(uint64_t seed) {
  if (seed <= (1ULL << 53)) return Json((double)seed);
  return Json(std::to_string(seed));
}

bool seed_from_json(const Json& j, uint64_t& out) {
  if (j.is_num()) {
    if (j.num < 0 || j.num != std::floor(j.num) || j.num > 9007199254740992.0) return false;
    out = (uint64_t)j.num;
    return true;
  }
  if (j.is_str() && !j.str.empty() && j.str.size() <= 20) {
    uint64_t v = 0;
    for (char c : j.str) {
      if (c < '0' || c > '9') return false;
      uint64_t nv = v * 10 + (uint64_t)(c - '0');
      if (nv / 10 != v) return false;
      v = nv;
    }
    out = v;
    return true;
  }
  return false;
}

static std::string dirname_of(const std::string& p) {
  size_t k = p.find_last_of('/');
  if (k == std::string::npos) return ".";
  if (k == 0) return "/";
  return p.substr(0, k);
}

bool write_file_atomic(const std::string& path, const std::vector<std::pair<const void*, size_t>>& parts,
                       std::string& err) {
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) { err = "cannot create " + tmp + ": " + strerror(errno); return false; }
  for (auto& part : parts) {
    const char* p = (const char*)part.first;
    size_t left = part.second;
    while (left > 0) {
      ssize_t w = ::write(fd, p, left > (1u << 30) ? (1u << 30) : left);
      if (w < 0) {
        if (errno == EINTR) continue;
        err = "cannot write " + tmp + ": " + strerror(errno);
        ::close(fd);
        ::unlink(tmp.c_str());
        return false;
      }
      p += w;
      left -= (size_t)w;
    }
  }
  if (fsync(fd) != 0) { err = "fsync " + tmp + ": " + strerror(errno); ::close(fd); ::unlink(tmp.c_str()); return false; }
  ::close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    err = "cannot rename " + tmp + " to " + path + ": " + strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  int dfd = ::open(dirname_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) { fsync(dfd); ::close(dfd); }
  return true;
}

bool checkpoint_save(const std::string& path, const Config& cfg, long step, const Json& window, uint64_t seed,
                     const float* params, const float* m, const float* v, long optimizer_step, std::string& err) {
  auto layout = param_layout(cfg);
  const size_t P = layout.back().offset + layout.back().numel;
  Json h = Json::object();
  h.set("format", "loco-checkpoint");
  h.set("version", 1);
  h.set("config", config_to_json(cfg));
  h.set("step", (double)step);
  h.set("window", window.is_num() ? window : Json());
  h.set("seed", seed_to_json(seed));
  Json tensors = Json::array();
  const bool opt = m && v;
  const int groups = opt ? 3 : 1;
  const char* prefix[3] = {"", "adam_m.", "adam_v."};
  for (int gi = 0; gi < groups; gi++)
    for (const auto& t : layout) {
      Json e = Json::object();
      e.set("name", std::string(prefix[gi]) + t.name);
      Json sh = Json::array();
      for (auto s : t.shape) sh.push(Json((double)s));
      e.set("shape", sh);
      e.set("offset", (double)(4 * (gi * P + t.offset)));
      tensors.push(e);
    }
  h.set("tensors", tensors);
  if (opt) {
    Json o = Json::object();
    o.set("type", "adamw");
    o.set("step", (double)optimizer_step);
    h.set("optimizer", o);
  } else {
    h.set("optimizer", Json());
  }
  const std::string hs = h.dump();
  std::vector<char> pre(16 + hs.size());
  std::memcpy(pre.data(), MAGIC, 8);
  uint32_t ver = 1, hl = (uint32_t)hs.size();
  std::memcpy(pre.data() + 8, &ver, 4);
  std::memcpy(pre.data() + 12, &hl, 4);
  std::memcpy(pre.data() + 16, hs.data(), hs.size());
  const size_t data_start = (pre.size() + 63) / 64 * 64;
  pre.resize(data_start, 0);
  std::vector<std::pair<const void*, size_t>> parts = {{pre.data(), pre.size()}, {params, 4 * P}};
  if (opt) {
    parts.push_back({m, 4 * P});
    parts.push_back({v, 4 * P});
  }
  return write_file_atomic(path, parts, err);
}

static bool read_exact(FILE* f, void* dst, size_t n) {
  return fread(dst, 1, n, f) == n;
}

bool checkpoint_load(const std::string& path, CheckpointData& out, std::string& err) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) { err = "cannot open checkpoint " + path + ": " + strerror(errno); return false; }
  struct Closer { FILE* f; ~Closer() { fclose(f); } } closer{f};
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) { err = path + " is not a regular file"; return false; }
  const uint64_t size = (uint64_t)st.st_size;
  char pre[16];
  if (size < 16 || !read_exact(f, pre, 16)) { err = "checkpoint " + path + " is truncated (no 16-byte preamble)"; return false; }
  if (std::memcmp(pre, MAGIC, 8) != 0) { err = "checkpoint " + path + " has bad magic (expected LOCOCKPT)"; return false; }
  uint32_t ver, hl;
  std::memcpy(&ver, pre + 8, 4);
  std::memcpy(&hl, pre + 12, 4);
  if (ver != 1) { err = "checkpoint " + path + " has unsupported version " + std::to_string(ver); return false; }
  if (16 + (uint64_t)hl > size) { err = "checkpoint " + path + " header length runs past the end of the file"; return false; }
  std::string hs(hl, '\0');
  if (!read_exact(f, hs.data(), hl)) { err = "checkpoint " + path + " is truncated in the header"; return false; }
  Json h;
  try {
    h = Json::parse(hs);
  } catch (const std::exception& e) {
    err = "checkpoint " + path + " header is not valid JSON: " + e.what();
    return false;
  }
  if (!h.is_obj()) { err = "checkpoint header is not a JSON object"; return false; }
  const Json* fmt = h.get("format");
  if (!fmt || !fmt->is_str() || fmt->str != "loco-checkpoint") { err = "checkpoint header.format is not \"loco-checkpoint\""; return false; }
  const Json* hv = h.get("version");
  if (!hv || !hv->is_num() || hv->num != 1) { err = "checkpoint header.version is not 1"; return false; }
  const Json* cj = h.get("config");
  if (!cj) { err = "checkpoint header has no config"; return false; }
  std::string cerr;
  if (!config_from_json(*cj, out.cfg, cerr)) { err = "checkpoint config: " + cerr; return false; }
  const Json* sj = h.get("step");
  if (!sj || !sj->is_num() || sj->num < 0 || sj->num != std::floor(sj->num)) { err = "checkpoint header.step must be a non-negative integer"; return false; }
  out.step = (long)sj->num;
  const Json* wj = h.get("window");
  out.window = (wj && wj->is_num()) ? *wj : Json();
  const Json* seedj = h.get("seed");
  out.seed = 0;
  if (seedj && !seedj->is_null() && !seed_from_json(*seedj, out.seed)) { err = "checkpoint header.seed is not a valid 64-bit integer"; return false; }
  const Json* oj = h.get("optimizer");
  out.has_optimizer = oj && oj->is_obj();
  out.optimizer_step = 0;
  if (out.has_optimizer) {
    const Json* ot = oj->get("type");
    const Json* os = oj->get("step");
    if (!ot || !ot->is_str() || ot->str != "adamw") { err = "checkpoint optimizer.type must be \"adamw\""; return false; }
    if (!os || !os->is_num() || os->num < 0 || os->num != std::floor(os->num)) { err = "checkpoint optimizer.step must be a non-negative integer"; return false; }
    out.optimizer_step = (long)os->num;
  }
  auto layout = param_layout(out.cfg);
  const size_t P = layout.back().offset + layout.back().numel;
  const Json* tj = h.get("tensors");
  const int groups = out.has_optimizer ? 3 : 1;
  if (!tj || !tj->is_arr() || tj->arr.size() != layout.size() * groups) {
    err = "checkpoint tensors list must have " + std::to_string(layout.size() * groups) + " entries";
    return false;
  }
  const char* prefix[3] = {"", "adam_m.", "adam_v."};
  for (int gi = 0; gi < groups; gi++)
    for (size_t i = 0; i < layout.size(); i++) {
      const Json& e = tj->arr[gi * layout.size() + i];
      const std::string want = std::string(prefix[gi]) + layout[i].name;
      const Json* n = e.get("name");
      if (!n || !n->is_str() || n->str != want) { err = "checkpoint tensor " + std::to_string(gi * layout.size() + i) + " must be " + want; return false; }
      const Json* sh = e.get("shape");
      bool ok = sh && sh->is_arr() && sh->arr.size() == layout[i].shape.size();
      for (size_t k = 0; ok && k < layout[i].shape.size(); k++) ok = sh->arr[k].is_num() && sh->arr[k].num == (double)layout[i].shape[k];
      if (!ok) { err = "checkpoint tensor " + want + " has a shape that does not match the config"; return false; }
      const Json* off = e.get("offset");
      if (!off || !off->is_num() || off->num != (double)(4 * (gi * P + layout[i].offset))) {
        err = "checkpoint tensor " + want + " offset is not contiguous in canonical order";
        return false;
      }
    }
  const uint64_t data_start = (16 + (uint64_t)hl + 63) / 64 * 64;
  const uint64_t expect = data_start + 4ULL * P * groups;
  if (size != expect) {
    err = "checkpoint " + path + " is " + std::to_string(size) + " bytes; its header implies " + std::to_string(expect);
    return false;
  }
  if (fseeko(f, (off_t)data_start, SEEK_SET) != 0) { err = "seek failed in " + path; return false; }
  try {
    out.params.resize(P);
    if (!read_exact(f, out.params.data(), 4 * P)) { err = "checkpoint " + path + " truncated in parameters"; return false; }
    if (out.has_optimizer) {
      out.m.resize(P);
      out.v.resize(P);
      if (!read_exact(f, out.m.data(), 4 * P) || !read_exact(f, out.v.data(), 4 * P)) { err = "checkpoint " + path + " truncated in optimizer state"; return false; }
    }
  } catch (const std::bad_alloc&) {
    err = "out of memory loading " + path;
    return false;
  }
  return true;
}
