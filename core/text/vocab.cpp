#include "text/vocab.h"

#include <algorithm>
#include <cstdio>

namespace dbsa {

namespace {

[[noreturn]] void fail(const std::string& source, std::string_view key, const std::string& what) {
  throw TokenizerError(source + ": key '" + std::string(key) + "': " + what);
}

const GgufArray* find_array(const GgufFile& f, std::string_view key, GgufValueType elem, bool required) {
  const GgufValue* v = f.find(key);
  if (v == nullptr) {
    if (required) fail(f.path(), key, "missing (required by the tokenizer)");
    return nullptr;
  }
  if (v->type != GgufValueType::ARRAY) {
    fail(f.path(), key, "expected an array, found " + std::string(gguf_value_type_name(v->type)));
  }
  const GgufArray& a = v->as_array(key);
  if (a.elem_type != elem) {
    fail(f.path(), key,
         "expected array of " + std::string(gguf_value_type_name(elem)) + ", found array of " +
             std::string(gguf_value_type_name(a.elem_type)));
  }
  return &a;
}

TokenId read_id(const GgufFile& f, std::string_view key, TokenId def) {
  const GgufValue* v = f.find(key);
  if (v == nullptr) return def;
  try {
    const int64_t id = v->as_i64(key);
    if (id < 0 || id > INT32_MAX) fail(f.path(), key, "token id " + std::to_string(id) + " out of range");
    return static_cast<TokenId>(id);
  } catch (const GgufError& e) {
    fail(f.path(), key, e.what());
  }
}

bool read_bool(const GgufFile& f, std::string_view key, bool def) {
  try {
    return f.get_bool_or(key, def);
  } catch (const GgufError& e) {
    fail(f.path(), key, e.what());
  }
}

}  // namespace

VocabData read_vocab_data(const GgufFile& f) {
  VocabData d;
  d.source = f.path();
  static constexpr std::string_view kModel = "tokenizer.ggml.model";
  try {
    d.model = f.get_string(kModel);
    d.pre = f.get_string_or("tokenizer.ggml.pre", "default");
  } catch (const GgufError& e) {
    fail(f.path(), kModel, e.what());
  }
  if (d.pre.empty()) d.pre = "default";
  const bool spm = d.model == "llama";
  if (!spm && d.model != "gpt2") {
    fail(f.path(), kModel, "unsupported tokenizer model '" + d.model + "' (expected \"llama\" or \"gpt2\")");
  }

  static constexpr std::string_view kTokens = "tokenizer.ggml.tokens";
  const GgufArray* tokens = find_array(f, kTokens, GgufValueType::STRING, true);
  d.tokens.reserve(tokens->items.size());
  for (const GgufValue& v : tokens->items) d.tokens.push_back(v.as_string(kTokens));

  static constexpr std::string_view kScores = "tokenizer.ggml.scores";
  if (const GgufArray* scores = find_array(f, kScores, GgufValueType::FLOAT32, false)) {
    d.scores.reserve(scores->items.size());
    for (const GgufValue& v : scores->items) d.scores.push_back(static_cast<float>(v.as_f64(kScores)));
  }
  static constexpr std::string_view kTypes = "tokenizer.ggml.token_type";
  if (const GgufArray* types = find_array(f, kTypes, GgufValueType::INT32, false)) {
    d.types.reserve(types->items.size());
    for (size_t i = 0; i < types->items.size(); ++i) {
      const int64_t t = types->items[i].as_i64(kTypes);
      if (t < 0 || t > static_cast<int64_t>(TokenType::Byte)) {
        fail(f.path(), kTypes,
             "entry " + std::to_string(i) + " has type " + std::to_string(t) + ", expected 0..6");
      }
      d.types.push_back(static_cast<TokenType>(t));
    }
  }
  static constexpr std::string_view kMerges = "tokenizer.ggml.merges";
  if (const GgufArray* merges = find_array(f, kMerges, GgufValueType::STRING, !spm)) {
    d.merges.reserve(merges->items.size());
    for (const GgufValue& v : merges->items) d.merges.push_back(v.as_string(kMerges));
  }

  // Defaults as the reference implementation assumes them when a key is absent.
  d.bos = read_id(f, "tokenizer.ggml.bos_token_id", spm ? 1 : -1);
  d.eos = read_id(f, "tokenizer.ggml.eos_token_id", spm ? 2 : -1);
  d.unk = read_id(f, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1);
  d.add_bos = read_bool(f, "tokenizer.ggml.add_bos_token", spm);
  d.add_eos = read_bool(f, "tokenizer.ggml.add_eos_token", false);
  d.add_space_prefix = read_bool(f, "tokenizer.ggml.add_space_prefix", spm);
  return d;
}

Vocab::Vocab(VocabData data) : d_(std::move(data)) {
  const size_t n = d_.tokens.size();
  if (n == 0) fail(d_.source, "tokenizer.ggml.tokens", "the vocabulary is empty");
  if (n > static_cast<size_t>(INT32_MAX)) fail(d_.source, "tokenizer.ggml.tokens", "too many tokens");
  if (!d_.scores.empty() && d_.scores.size() != n) {
    fail(d_.source, "tokenizer.ggml.scores",
         "has " + std::to_string(d_.scores.size()) + " entries, expected " + std::to_string(n) +
             " (one per token)");
  }
  if (!d_.types.empty() && d_.types.size() != n) {
    fail(d_.source, "tokenizer.ggml.token_type",
         "has " + std::to_string(d_.types.size()) + " entries, expected " + std::to_string(n) +
             " (one per token)");
  }
  const auto check_id = [&](TokenId id, std::string_view key) {
    if (id != -1 && !valid(id)) {
      fail(d_.source, key,
           "token id " + std::to_string(id) + " is not below the vocabulary size " + std::to_string(n));
    }
  };
  check_id(d_.bos, "tokenizer.ggml.bos_token_id");
  check_id(d_.eos, "tokenizer.ggml.eos_token_id");
  check_id(d_.unk, "tokenizer.ggml.unknown_token_id");

  token_index_.reserve(n);
  // A later duplicate wins, as in the reference (files with duplicates exist in the wild).
  for (size_t i = 0; i < n; ++i) token_index_[d_.tokens[i]] = static_cast<int32_t>(i);

  merge_index_.reserve(d_.merges.size());
  for (size_t r = 0; r < d_.merges.size(); ++r) {
    const std::string& m = d_.merges[r];
    // The separator is the first space after the first character: a merge's left side may itself be
    // a space in vocabularies that do not byte-map.
    const size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
    if (sp == std::string::npos || sp + 1 >= m.size()) {
      fail(d_.source, "tokenizer.ggml.merges",
           "entry " + std::to_string(r) + " \"" + m + "\" is not of the form \"left right\"");
    }
    merge_index_.try_emplace(m, static_cast<int32_t>(r));  // first (lowest) rank wins
  }

  byte_values_.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const std::string& t = d_.tokens[i];
    if (type(static_cast<TokenId>(i)) != TokenType::Byte) continue;
    unsigned v = 0;
    char tail = 0;
    if (t.size() != 6 || std::sscanf(t.c_str(), "<0x%2X%c", &v, &tail) != 2 || tail != '>') {
      fail(d_.source, "tokenizer.ggml.tokens",
           "token " + std::to_string(i) + " \"" + t + "\" has type BYTE but is not of the form <0xXX>");
    }
    byte_values_[i] = static_cast<int16_t>(v);
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const char buf[7] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>', 0};
    TokenId id = find(buf);
    if (id < 0) id = find(std::string_view(reinterpret_cast<const char*>(&b), 1));
    byte_tokens_[static_cast<size_t>(b)] = id;
  }

  for (size_t i = 0; i < n; ++i) {
    const TokenType t = type(static_cast<TokenId>(i));
    if ((t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown) &&
        !d_.tokens[i].empty()) {
      special_.push_back(static_cast<TokenId>(i));
    }
  }
  std::stable_sort(special_.begin(), special_.end(),
                   [&](TokenId a, TokenId b) { return text(a).size() > text(b).size(); });
}

const std::string& Vocab::text(TokenId id) const {
  if (!valid(id)) {
    throw TokenizerError(d_.source + ": token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                         std::to_string(size() - 1) + ")");
  }
  return d_.tokens[static_cast<size_t>(id)];
}

TokenType Vocab::type(TokenId id) const {
  text(id);  // range check with a clear message
  return d_.types.empty() ? TokenType::Normal : d_.types[static_cast<size_t>(id)];
}

TokenId Vocab::find(std::string_view t) const {
  const auto it = token_index_.find(t);
  return it == token_index_.end() ? -1 : it->second;
}

int32_t Vocab::merge_rank(std::string_view left, std::string_view right, std::string& scratch) const {
  scratch.assign(left);
  scratch += ' ';
  scratch.append(right);
  const auto it = merge_index_.find(std::string_view(scratch));
  return it == merge_index_.end() ? -1 : it->second;
}

int32_t Vocab::byte_value(TokenId id) const {
  return valid(id) ? byte_values_[static_cast<size_t>(id)] : -1;
}

}  // namespace dbsa
