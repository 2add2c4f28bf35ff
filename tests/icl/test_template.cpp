#include <gtest/gtest.h>

#include "icl/block_text.h"
#include "icl/template.h"

namespace dbsa {
namespace {

TEST(Template, PaperTemplates) {
  EXPECT_EQ(paper_template("trec"), (PromptTemplate{"Question: ", "Type: "}));
  EXPECT_EQ(paper_template("trec-fine"), (PromptTemplate{"Question: ", "Type: "}));
  EXPECT_EQ(paper_template("banking77"), (PromptTemplate{"query: ", "intent: "}));
  EXPECT_EQ(paper_template("clinic150"), (PromptTemplate{"utterance: ", "intent: "}));
  EXPECT_EQ(paper_template("nlu"), (PromptTemplate{"utterance: ", "intent: "}));
  EXPECT_THROW(paper_template("sst2"), std::invalid_argument);
}

TEST(Template, DemoAndQueryStringsAreExact) {
  const PromptTemplate t = paper_template("banking77");
  EXPECT_EQ(format_demo(t, "Where is my card?", "card arrival"),
            "query: Where is my card?\nintent: card arrival");
  // The query ends at the prefix without its trailing space, after the separator.
  EXPECT_EQ(format_query(t, "Where is my card?"), "\n==\nquery: Where is my card?\nintent:");
  EXPECT_EQ(format_query_body(t, "x"), "query: x\nintent:");
  // rstrip removes all trailing whitespace, as Python's str.rstrip().
  EXPECT_EQ(format_query_body(PromptTemplate{"q: ", ""}, "text \t\n"), "q: text");
  EXPECT_EQ(join_demos({"a", "b", "c"}), "a\n==\nb\n==\nc");
  EXPECT_EQ(join_demos({}), "");
  EXPECT_EQ(rstrip_ascii(" a b \r\n\f"), " a b");
}

TEST(Template, BlockTextsAndSegments) {
  const std::vector<Example> demos{{"one", "x", 0, 1}, {"two", "y", 1, 2}, {"three", "x", 0, 3}};
  const PromptTemplate t{"Q: ", "A: "};
  const auto texts = block_texts(demos, {{2, 0}, {1}}, t);
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0], "Q: three\nA: x\n==\nQ: one\nA: x");
  EXPECT_EQ(texts[1], "Q: two\nA: y");
  EXPECT_EQ(block_segment(texts, 0), texts[0]);
  EXPECT_EQ(block_segment(texts, 1), "\n==\nQ: two\nA: y");
  EXPECT_EQ(joined_pool_text(texts), block_segment(texts, 0) + block_segment(texts, 1));
  EXPECT_THROW(block_texts(demos, {{3}}, t), std::out_of_range);
}

}  // namespace
}  // namespace dbsa
