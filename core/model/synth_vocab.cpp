// The built-in SentencePiece-style vocabulary of synthetic models. It is a valid llama/SPM vocabulary:
// every piece needed to build a longer piece by pairwise merges is present (the SPM tokenizer merges
// adjacent pieces whose concatenation is in the vocabulary), and byte tokens cover any other input.
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "model/model_synth.h"

namespace dbsa {
namespace {

// Token types of the llama vocabulary (llama.cpp's LLAMA_TOKEN_TYPE_*).
constexpr int32_t kNormal = 1;
constexpr int32_t kUnknown = 2;
constexpr int32_t kControl = 3;
constexpr int32_t kByte = 6;

const char* const kSpace = "\xe2\x96\x81";  // U+2581, SentencePiece's visible space

const char* const kWords[] = {
    "the",   "of",     "and",    "to",      "a",        "in",     "is",      "it",     "you",   "that",
    "he",    "was",    "for",    "on",      "are",      "with",   "as",      "I",      "his",   "they",
    "be",    "at",     "one",    "have",    "this",     "from",   "or",      "had",    "by",    "not",
    "word",  "but",    "what",   "some",    "we",       "can",    "out",     "other",  "were",  "all",
    "there", "when",   "up",     "use",     "your",     "how",    "said",    "an",     "each",  "she",
    "which", "do",     "their",  "time",    "if",       "will",   "way",     "about",  "many",  "then",
    "them",  "would",  "write",  "like",    "so",       "these",  "her",     "long",   "make",  "thing",
    "see",   "him",    "two",    "has",     "look",     "more",   "day",     "could",  "go",    "come",
    "did",   "my",     "no",     "most",    "number",   "who",    "over",    "know",   "water", "than",
    "call",  "first",  "people", "may",     "down",     "side",   "been",    "now",    "find",  "any",
    "new",   "work",   "part",   "take",    "get",      "place",  "made",    "live",   "where", "after",
    "back",  "little", "only",   "round",   "man",      "year",   "came",    "show",   "every", "good",
    "me",    "give",   "our",    "under",   "name",     "very",   "through", "just",   "form",  "much",
    "great", "think",  "say",    "help",    "low",      "line",   "before",  "turn",   "cause", "same",
    "mean",  "differ", "move",   "right",   "boy",      "old",    "too",     "does",   "tell",  "sentence",
    "set",   "three",  "want",   "air",     "well",     "also",   "play",    "small",  "end",   "put",
    "home",  "read",   "hand",   "large",   "add",      "even",   "land",    "here",   "must",  "big",
    "high",  "such",   "label",  "text",    "question", "answer", "input",   "output", "yes",   "The",
    "A",     "In",     "It",     "What",    "How",      "This",   "Once",    "upon",   "Lily",  "girl",
    "play",  "park",   "happy",  "capital", "city",     "France", "Paris",   "is"};

}  // namespace

uint32_t add_builtin_spm_vocab(GgufWriter& w) {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  std::set<std::string> seen;
  auto add = [&](const std::string& piece, float score, int32_t type) {
    if (!seen.insert(piece).second) return;
    tokens.push_back(piece);
    scores.push_back(score);
    types.push_back(type);
  };

  add("<unk>", 0.0f, kUnknown);
  add("<s>", 0.0f, kControl);
  add("</s>", 0.0f, kControl);
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    add(buf, 0.0f, kByte);
  }
  // Single characters rank below every multi-character piece so merges always win over leaving them.
  add(kSpace, -1000.0f, kNormal);
  for (char c = '!'; c <= '~'; ++c) add(std::string(1, c), -1000.0f - static_cast<float>(c), kNormal);
  // "▁word" and every prefix of it, so pairwise merging can reach the whole word; longer pieces score
  // higher, the earlier (more common) word wins ties.
  float rank = 0.0f;
  for (const char* word : kWords) {
    const std::string full = std::string(kSpace) + word;
    for (size_t len = 3 + 1; len <= full.size(); ++len) {  // the 3-byte "▁" plus at least one character
      add(full.substr(0, len), -100.0f + 10.0f * static_cast<float>(len) - rank * 0.01f, kNormal);
    }
    rank += 1.0f;
  }
  for (const char* digits : {"00", "10", "20", "000"}) add(digits, -500.0f, kNormal);

  w.set_string("tokenizer.ggml.model", "llama");
  w.set_string("tokenizer.ggml.pre", "default");
  w.set_array_string("tokenizer.ggml.tokens", tokens);
  w.set_array_f32("tokenizer.ggml.scores", scores);
  w.set_array_i32("tokenizer.ggml.token_type", types);
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  w.set_u32("tokenizer.ggml.unknown_token_id", 0);
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  w.set_bool("tokenizer.ggml.add_eos_token", false);
  return static_cast<uint32_t>(tokens.size());
}

}  // namespace dbsa
