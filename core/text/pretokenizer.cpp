#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/pretokenizer.h"

#include <pcre2.h>

#include "text/tokenizer.h"

namespace dbsa {

namespace {

// Contractions are spelled with explicit case classes rather than (?i:...): under Unicode case folding
// "'ſ" (long s) would match "'s", which the reference does not do.
constexpr const char* kContractionsAnyCase = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof buf) < 0) return "PCRE2 error " + std::to_string(code);
  return reinterpret_cast<const char*>(buf);
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* p) const { pcre2_match_data_free(p); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* p) const { pcre2_match_context_free(p); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* p) const { pcre2_jit_stack_free(p); }
};

}  // namespace

struct PreTokenizer::Regex {
  std::string pattern;
  pcre2_code* code = nullptr;
  ~Regex() { pcre2_code_free(code); }
};

namespace {

struct KnownPreTokenizer {
  std::vector<std::string_view> names;
  PreTokenizerSpec spec;
};

// Every pre-tokenizer this project knows, by the tokenizer.ggml.pre names that select it, as the
// reference (llama.cpp) maps them, for the model families engine/llama_model.h runs (llama, mistral,
// qwen2). The regexes are the models' own (their tokenizer.json), which PCRE2 takes as written but for
// the contractions (kContractionsAnyCase). The reference rewrites Tekken's case classes for its own regex
// engine (a letter outside ASCII counts as either case there); the original is kept here.
const std::vector<KnownPreTokenizer>& known_pre_tokenizers() {
  const std::string c = kContractionsAnyCase;
  const std::string gpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
  const std::string llama3 =
      c + R"(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  static const std::vector<KnownPreTokenizer> known = {
      // The reference's fallback for byte-level vocabularies without a known pre-tokenizer.
      {{"default"}, {{R"([\p{P}\$\+<=>\^~\|]+)", gpt2, R"(\p{N}+)", R"([0-9][0-9][0-9])"}, false}},
      {{"gpt-2", "gpt2"}, {{gpt2}, false}},
      // Llama 3.x (and Falcon 3, a llama-architecture model with the same tokenizer rules).
      {{"llama-bpe", "llama3", "llama-v3", "falcon3"}, {{llama3}, true}},
      // Llama-3 fine-tunes that kept the regex but not the whole-word rule.
      {{"smaug-bpe"}, {{llama3}, false}},
      // Qwen2 / Qwen2.5 and their distillates: single digits.
      {{"qwen2", "deepseek-r1-qwen"},
       {{c + R"(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
        false}},
      // SmolLM / SmolLM2 (llama architecture) and Minerva: every digit alone, then GPT-2's words.
      {{"smollm", "minerva-7b"}, {{R"(\p{N})", gpt2}, false}},
      // Mistral's Tekken (Mistral NeMo, Ministral): words split at case changes, single digits.
      {{"tekken"},
       {{R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+)"
         R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*)"
         R"(|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
        true}},
  };
  return known;
}

}  // namespace

std::optional<PreTokenizerSpec> PreTokenizer::spec_for(std::string_view name) {
  for (const KnownPreTokenizer& k : known_pre_tokenizers())
    for (std::string_view n : k.names)
      if (n == name) return k.spec;
  return std::nullopt;
}

namespace {

// Every known name, comma-separated, for the unknown-name message.
std::string known_names() {
  std::string out;
  for (const KnownPreTokenizer& k : known_pre_tokenizers())
    for (std::string_view n : k.names) (out += out.empty() ? "" : ", ") += n;
  return out;
}

PreTokenizerSpec checked_spec(const std::string& name) {
  auto spec = PreTokenizer::spec_for(name);
  if (!spec) throw TokenizerError("unknown pre-tokenizer '" + name + "' (supported: " + known_names() + ")");
  return std::move(*spec);
}

}  // namespace

PreTokenizer::PreTokenizer(const std::string& name) : PreTokenizer(name, checked_spec(name)) {}

PreTokenizer::PreTokenizer(std::string name, PreTokenizerSpec spec)
    : PreTokenizer(std::move(name), spec.patterns) {
  ignore_merges_ = spec.ignore_merges;
}

PreTokenizer::PreTokenizer(std::string name, const std::vector<std::string>& patterns)
    : name_(std::move(name)) {
  for (const std::string& p : patterns) {
    auto r = std::make_unique<Regex>();
    r->pattern = p;
    int err = 0;
    PCRE2_SIZE err_off = 0;
    r->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(), PCRE2_UTF | PCRE2_UCP, &err,
                            &err_off, nullptr);
    if (r->code == nullptr) {
      throw TokenizerError("pre-tokenizer '" + name_ + "': regex rejected at pattern offset " +
                           std::to_string(err_off) + ": " + pcre2_message(err) + " in /" + p + "/");
    }
    // JIT is an optimisation only: without it (unsupported CPU) the interpreter gives the same matches.
    pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);
    regexes_.push_back(std::move(r));
  }
}

PreTokenizer::~PreTokenizer() = default;

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string_view> pieces;
  if (text.empty()) return pieces;
  pieces.push_back(text);
  if (regexes_.empty()) return pieces;

  // Per call (not per tokenizer) so that concurrent encode() calls never share match state.
  std::unique_ptr<pcre2_match_context, MatchContextDeleter> mctx(pcre2_match_context_create(nullptr));
  // Long whitespace runs with the lookahead need more than PCRE2's 32 KiB default JIT stack.
  std::unique_ptr<pcre2_jit_stack, JitStackDeleter> jstack(
      pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr));
  if (!mctx || !jstack) throw TokenizerError("pre-tokenizer '" + name_ + "': out of memory");
  pcre2_jit_stack_assign(mctx.get(), nullptr, jstack.get());

  std::vector<std::string_view> next;
  for (const auto& re : regexes_) {
    std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(
        pcre2_match_data_create_from_pattern(re->code, nullptr));
    if (!md) throw TokenizerError("pre-tokenizer '" + name_ + "': out of memory");
    next.clear();
    next.reserve(pieces.size() * 2);
    for (std::string_view piece : pieces) {
      const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
      size_t start = 0;
      size_t emitted = 0;  // end of what is already in `next`
      // The first match of a piece checks its UTF-8 validity (the whole piece); later matches skip the
      // check, which would otherwise rescan the whole subject on every call.
      uint32_t opts = 0;
      while (start < piece.size()) {
        const int rc = pcre2_match(re->code, subject, piece.size(), start, opts, md.get(), mctx.get());
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
          const size_t base = static_cast<size_t>(piece.data() - text.data());
          if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
            throw TokenizerError("pre-tokenizer '" + name_ + "': input is not valid UTF-8 at byte offset " +
                                 std::to_string(base + pcre2_get_startchar(md.get())) + ": " +
                                 pcre2_message(rc));
          }
          throw TokenizerError("pre-tokenizer '" + name_ + "': matching failed at byte offset " +
                               std::to_string(base + start) + ": " + pcre2_message(rc));
        }
        opts = PCRE2_NO_UTF_CHECK;
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
        const size_t m0 = ov[0];
        const size_t m1 = ov[1];
        if (m0 > emitted) next.push_back(piece.substr(emitted, m0 - emitted));
        if (m1 > m0) {
          next.push_back(piece.substr(m0, m1 - m0));
          emitted = m1;
          start = m1;
        } else {
          // None of our patterns can match empty, but a user-supplied one might: step one character.
          emitted = m0;
          start = m0 + 1;
          while (start < piece.size() && (static_cast<unsigned char>(piece[start]) & 0xC0) == 0x80) ++start;
        }
      }
      if (emitted < piece.size()) next.push_back(piece.substr(emitted));
    }
    pieces.swap(next);
  }
  return pieces;
}

}  // namespace dbsa
