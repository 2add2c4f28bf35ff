// `dbsa tokenize`: the model's own tokenizer applied to a text, as ids or as pieces.
#include <iostream>
#include <memory>
#include <string>

#include "cli/cli.h"
#include "cli/cli_options.h"
#include "model/gguf_file.h"
#include "text/tokenizer.h"

namespace dbsa::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  TextArgs text;
  bool ids = false;
  bool no_bos = false;
  bool special = false;
};

void run_tokenize(const TokenizeArgs& a) {
  auto file = GgufFile::open(a.model);
  auto tok = Tokenizer::from_gguf(*file);
  const std::string text = read_text_arg(a.text, "tokenize");
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
  add_model_option(c, a->model, "--model,-m", "GGUF file with a tokenizer, or `builtin`")->required();
  add_text_options(c, a->text, "text", "t");
  c->add_flag("--ids", a->ids, "Print only the ids, space separated");
  c->add_flag("--no-bos", a->no_bos, "Do not add BOS even when the tokenizer does");
  c->add_flag("--special", a->special, "Parse control-token texts in the input as special tokens");
  c->callback([a] { run_tokenize(*a); });
}

}  // namespace dbsa::cli
