// The context limit (model/context_limit.h): read from the model file, overridden by --max-context, and
// the one check with its message.
#include <gtest/gtest.h>

#include "model/context_limit.h"
#include "model/gguf_file.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

ModelHParams fixture_hparams(const std::string& name) {
  return read_hparams(*GgufFile::open(test::fixture("models/" + name).string()));
}

TEST(ContextLimit, ComesFromTheModelFile) {
  const ContextLimit l =
      model_context_limit(fixture_hparams("stories260K-f32.gguf"), "/x/stories260K-f32.gguf");
  EXPECT_EQ(l.tokens, 512);
  EXPECT_EQ(l.source, "llama.context_length of stories260K-f32.gguf");
  EXPECT_EQ(model_context_limit(fixture_hparams("tiny-llama3bpe-f16.gguf"), "").tokens, 8192);
}

TEST(ContextLimit, MaxContextReplacesTheModelsAndTheSourceSaysHowToChangeIt) {
  const ModelHParams hp = fixture_hparams("tiny-spm-f32.gguf");
  const ContextLimit own = context_limit_for(hp, "m/tiny-spm-f32.gguf", 0);
  EXPECT_EQ(own.tokens, 4096);
  EXPECT_EQ(own.source, "llama.context_length of tiny-spm-f32.gguf; --max-context sets another");
  // Above the trained context too: the user's explicit choice.
  const ContextLimit set = context_limit_for(hp, "m/tiny-spm-f32.gguf", 10000);
  EXPECT_EQ(set.tokens, 10000);
  EXPECT_EQ(set.source, "--max-context");
}

TEST(ContextLimit, RefusesOnlyWhatExceedsTheLimit) {
  const ContextLimit l{100, "--max-context"};
  EXPECT_NO_THROW(check_context(l, 100, "prompt"));
  try {
    check_context(l, 101, "logits: the prompt (--prompt)", "shorten it");
    FAIL() << "101 tokens accepted under a limit of 100";
  } catch (const ContextLengthError& e) {
    EXPECT_STREQ(
        e.what(),
        "logits: the prompt (--prompt): 101 tokens, more than the context of 100 tokens (--max-context); "
        "shorten it");
  }
  // Weights built in memory carry no context length: nothing to check against.
  EXPECT_NO_THROW(check_context(ContextLimit{}, 1'000'000, "prompt"));
}

}  // namespace
}  // namespace dbsa
