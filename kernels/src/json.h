// Minimal JSON value, parser and writer for the line protocol and checkpoint headers.
// Numbers are doubles (ids up to 2^53 are exact); objects keep insertion order.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

struct Json {
  enum Type { Null, Bool, Number, String, Array, Object } type = Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool v) : type(Bool), b(v) {}
  Json(int v) : type(Number), num(v) {}
  Json(long v) : type(Number), num((double)v) {}
  Json(long long v) : type(Number), num((double)v) {}
  Json(unsigned long v) : type(Number), num((double)v) {}
  Json(unsigned long long v) : type(Number), num((double)v) {}
  Json(double v) : type(Number), num(v) {}
  Json(const char* s) : type(String), str(s) {}
  Json(std::string s) : type(String), str(std::move(s)) {}
  static Json array() { Json j; j.type = Array; return j; }
  static Json object() { Json j; j.type = Object; return j; }

  bool is_null() const { return type == Null; }
  bool is_num() const { return type == Number; }
  bool is_str() const { return type == String; }
  bool is_arr() const { return type == Array; }
  bool is_obj() const { return type == Object; }

  const Json* get(const std::string& k) const {
    if (type != Object) return nullptr;
    for (auto& kv : obj) if (kv.first == k) return &kv.second;
    return nullptr;
  }
  Json& set(const std::string& k, Json v) {
    if (type != Object) { type = Object; obj.clear(); }
    for (auto& kv : obj) if (kv.first == k) { kv.second = std::move(v); return kv.second; }
    obj.emplace_back(k, std::move(v));
    return obj.back().second;
  }
  void push(Json v) { type = Array; arr.push_back(std::move(v)); }

  std::string dump() const { std::string out; dump_to(out); return out; }

  void dump_to(std::string& out) const {
    switch (type) {
      case Null: out += "null"; break;
      case Bool: out += b ? "true" : "false"; break;
      case Number: {
        if (!std::isfinite(num)) { out += "null"; break; }
        char buf[40];
        if (num == std::floor(num) && std::fabs(num) < 9.007199254740992e15) snprintf(buf, sizeof buf, "%.0f", num);
        else snprintf(buf, sizeof buf, "%.17g", num);  // exact: fp32 values round-trip bit for bit
        out += buf;
        break;
      }
      case String: dump_str(out, str); break;
      case Array:
        out += '[';
        for (size_t i = 0; i < arr.size(); i++) { if (i) out += ','; arr[i].dump_to(out); }
        out += ']';
        break;
      case Object:
        out += '{';
        for (size_t i = 0; i < obj.size(); i++) {
          if (i) out += ',';
          dump_str(out, obj[i].first);
          out += ':';
          obj[i].second.dump_to(out);
        }
        out += '}';
        break;
    }
  }

  static void dump_str(std::string& out, const std::string& s) {
    out += '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) { char buf[8]; snprintf(buf, sizeof buf, "\\u%04x", c); out += buf; }
          else out += (char)c;
      }
    }
    out += '"';
  }

  // Throws std::runtime_error with a position on malformed input.
  static Json parse(const std::string& s) {
    size_t i = 0;
    Json v = parse_value(s, i, 0);
    skip_ws(s, i);
    if (i != s.size()) fail(i, "trailing characters");
    return v;
  }

 private:
  [[noreturn]] static void fail(size_t i, const char* what) {
    throw std::runtime_error(std::string("JSON: ") + what + " at byte " + std::to_string(i));
  }
  static void skip_ws(const std::string& s, size_t& i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
  }
  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) out += (char)cp;
    else if (cp < 0x800) { out += (char)(0xC0 | (cp >> 6)); out += (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) { out += (char)(0xE0 | (cp >> 12)); out += (char)(0x80 | ((cp >> 6) & 0x3F)); out += (char)(0x80 | (cp & 0x3F)); }
    else { out += (char)(0xF0 | (cp >> 18)); out += (char)(0x80 | ((cp >> 12) & 0x3F)); out += (char)(0x80 | ((cp >> 6) & 0x3F)); out += (char)(0x80 | (cp & 0x3F)); }
  }
  static uint32_t hex4(const std::string& s, size_t& i) {
    if (i + 4 > s.size()) fail(i, "bad \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
      char c = s[i++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else fail(i, "bad \\u escape");
    }
    return v;
  }
  static std::string parse_string(const std::string& s, size_t& i) {
    if (s[i] != '"') fail(i, "expected string");
    i++;
    std::string out;
    while (true) {
      if (i >= s.size()) fail(i, "unterminated string");
      char c = s[i++];
      if (c == '"') break;
      if ((unsigned char)c < 0x20) fail(i, "control character in string");
      if (c != '\\') { out += c; continue; }
      if (i >= s.size()) fail(i, "unterminated escape");
      char e = s[i++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = hex4(s, i);
          if (cp >= 0xD800 && cp < 0xDC00 && i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') {
            i += 2;
            uint32_t lo = hex4(s, i);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: fail(i, "bad escape");
      }
    }
    return out;
  }
  static Json parse_value(const std::string& s, size_t& i, int depth) {
    if (depth > 64) fail(i, "nesting too deep");
    skip_ws(s, i);
    if (i >= s.size()) fail(i, "unexpected end");
    char c = s[i];
    if (c == '{') {
      Json o = object();
      i++;
      skip_ws(s, i);
      if (i < s.size() && s[i] == '}') { i++; return o; }
      while (true) {
        skip_ws(s, i);
        if (i >= s.size()) fail(i, "unexpected end");
        std::string k = parse_string(s, i);
        skip_ws(s, i);
        if (i >= s.size() || s[i] != ':') fail(i, "expected ':'");
        i++;
        Json v = parse_value(s, i, depth + 1);
        o.set(k, std::move(v));
        skip_ws(s, i);
        if (i < s.size() && s[i] == ',') { i++; continue; }
        if (i < s.size() && s[i] == '}') { i++; return o; }
        fail(i, "expected ',' or '}'");
      }
    }
    if (c == '[') {
      Json a = array();
      i++;
      skip_ws(s, i);
      if (i < s.size() && s[i] == ']') { i++; return a; }
      while (true) {
        a.arr.push_back(parse_value(s, i, depth + 1));
        skip_ws(s, i);
        if (i < s.size() && s[i] == ',') { i++; continue; }
        if (i < s.size() && s[i] == ']') { i++; return a; }
        fail(i, "expected ',' or ']'");
      }
    }
    if (c == '"') return Json(parse_string(s, i));
    if (s.compare(i, 4, "true") == 0) { i += 4; return Json(true); }
    if (s.compare(i, 5, "false") == 0) { i += 5; return Json(false); }
    if (s.compare(i, 4, "null") == 0) { i += 4; return Json(); }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t st = i;
      if (s[i] == '-') i++;
      while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' || s[i] == '-')) i++;
      std::string t = s.substr(st, i - st);
      char* end = nullptr;
      double v = strtod(t.c_str(), &end);
      if (!end || *end != 0) fail(st, "bad number");
      return Json(v);
    }
    fail(i, "unexpected character");
  }
};
