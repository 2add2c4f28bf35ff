// Where the programs find the built-in trained model (model/builtin_model.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "model/builtin_model.h"
#include "support/test_paths.h"

namespace dbsa {
namespace {

namespace fs = std::filesystem;

class BuiltinModelEnv : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv("DBSA_BUILTIN_MODEL"); }
};

TEST_F(BuiltinModelEnv, EnvironmentVariableComesFirst) {
  const fs::path dir = test::scratch_dir("builtin-model");
  const fs::path file = dir / "other.gguf";
  std::ofstream(file) << "x";
  ::setenv("DBSA_BUILTIN_MODEL", file.c_str(), 1);
  EXPECT_EQ(builtin_model_path(), file);
  EXPECT_EQ(resolve_model_path("builtin"), file);
}

TEST_F(BuiltinModelEnv, MissingEnvironmentFileFallsBackToTheSourceCopy) {
  ::setenv("DBSA_BUILTIN_MODEL", "/nonexistent/model.gguf", 1);
  const fs::path p = builtin_model_path();
  EXPECT_EQ(p.filename(), kBuiltinModelFile);
  EXPECT_TRUE(fs::is_regular_file(p));
}

TEST(BuiltinModel, OtherSpecsArePathsAsGiven) {
  EXPECT_EQ(resolve_model_path("models/x.gguf"), fs::path("models/x.gguf"));
  EXPECT_EQ(resolve_model_path("builtin.gguf"), fs::path("builtin.gguf"));
}

}  // namespace
}  // namespace dbsa
