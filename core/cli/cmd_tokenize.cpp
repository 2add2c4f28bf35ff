// `dbsa tokenize`: the model's own tokenizer applied to a text, as ids or as pieces.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/cli.h"
#include "model/gguf_file.h"
#include "text/tokenizer.h"

namespace dbsa::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  std::string text_file;
  bool ids = false;
  bool no_bos = false;
  bool special = false;
};

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open text file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void run_tokenize(const TokenizeArgs& a) {
  auto file = GgufFile::open(a.model);
  auto tok = Tokenizer::from_gguf(*file);
  std::string text = a.text_file.empty() ? a.text : read_text_file(a.text_file);
  EncodeOptions opts;
  opts.add_bos = !a.no_bos;
  opts.parse_special = a.special;
  auto ids = tok->encode(text, opts);
  if (a.ids) {
    for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << "\n";
    return;
  }
  for (TokenId id : ids) std::cout << id << "\t'" << tok->token_to_piece(id, true) << "'\n";
  std::cout << ids.size() << " tokens\n";
}

}  // namespace

void register_tokenize_command(CLI::App& app) {
  auto a = std::make_shared<TokenizeArgs>();
  auto* c = app.add_subcommand("tokenize", "Tokenize a text with a model's tokenizer");
  c->add_option("--model,-m", a->model, "GGUF file with a tokenizer")->required();
  auto* t = c->add_option("--text,-t", a->text, "Text to tokenize");
  auto* f = c->add_option("--text-file,-f", a->text_file, "File whose bytes are tokenized");
  t->excludes(f);
  f->excludes(t);
  c->add_flag("--ids", a->ids, "Print only the ids, space separated");
  c->add_flag("--no-bos", a->no_bos, "Do not add BOS even when the tokenizer does");
  c->add_flag("--special", a->special, "Parse control-token texts in the input as special tokens");
  c->callback([a, t, f] {
    if (t->count() == 0 && f->count() == 0) throw std::runtime_error("tokenize: give --text or --text-file");
    run_tokenize(*a);
  });
}

}  // namespace dbsa::cli
