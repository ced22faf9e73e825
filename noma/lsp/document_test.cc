#include "noma/lsp/document.h"

#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace noma::lsp {
namespace {

using ::testing::HasSubstr;

constexpr char kProgram[] =
    "fn main() {\n"                                   // 0
    "    let x = tensor [[1, 2], [3, 4], [5, 6]];\n"  // 1
    "    learn w = tensor [[0.5], [0.25]];\n"         // 2
    "    optimize(w) until loss < 0.01 {\n"           // 3
    "        let h = matmul(x, w);\n"                 // 4
    "        let loss = mean(h ^ 2);\n"               // 5
    "        minimize loss;\n"                        // 6
    "    }\n"                                         // 7
    "    print(sigmoid(w));\n"                        // 8
    "}\n";

uint32_t Offset(const Document& doc, uint32_t line, uint32_t character) {
  return doc.lines().ToOffset({line, character});
}

TEST(LineIndex, CountsUtf16Units) {
  // "é" is 2 bytes and 1 unit; "😀" is 4 bytes and 2 units.
  std::string text =
      "a\xC3\xA9"
      "b\n\xF0\x9F\x98\x80x\n";
  LineIndex lines(text);
  EXPECT_EQ(lines.ToPosition(4), (Position{0, 3}));  // After "aéb".
  EXPECT_EQ(lines.ToPosition(9), (Position{1, 2}));  // After the emoji.
  EXPECT_EQ(lines.ToOffset({1, 2}), 9u);
  EXPECT_EQ(lines.ToOffset({1, 3}), 10u);
  EXPECT_EQ(lines.ToOffset({0, 99}), 4u);           // Clamped to the line.
  EXPECT_EQ(lines.ToOffset({99, 0}), text.size());  // Clamped to the text.
  EXPECT_EQ(lines.ToPosition(1000), (Position{2, 0}));
}

TEST(Document, ValidProgramHasNoDiagnostics) {
  Document doc("/p.noma", kProgram, 1);
  EXPECT_TRUE(doc.diagnostics().empty());
}

TEST(Document, ErrorsHaveRanges) {
  Document doc("/p.noma", "fn main() {\n    print(y);\n}\n", 1);
  ASSERT_EQ(doc.diagnostics().size(), 1u);
  EXPECT_THAT(doc.diagnostics()[0].message, HasSubstr("unknown name 'y'"));
  Range range = doc.ToRange(doc.diagnostics()[0].range);
  EXPECT_EQ(range.start, (Position{1, 10}));
  EXPECT_EQ(range.end, (Position{1, 11}));
}

TEST(Document, HoverShowsKindShapeAndWhereSet) {
  Document doc("/p.noma", kProgram, 1);
  std::optional<std::string> h = doc.Hover(Offset(doc, 5, 25));  // `h` in mean(h ^ 2).
  ASSERT_TRUE(h.has_value());
  EXPECT_THAT(*h, HasSubstr("let h"));
  EXPECT_THAT(*h, HasSubstr("shape: `[3, 1]`"));
  EXPECT_THAT(*h, HasSubstr("line 5 (let)"));
  std::optional<std::string> w = doc.Hover(Offset(doc, 8, 19));  // `w` in sigmoid(w).
  ASSERT_TRUE(w.has_value());
  EXPECT_THAT(*w, HasSubstr("learn w"));
  EXPECT_THAT(*w, HasSubstr("[2, 1]"));
  std::optional<std::string> loss = doc.Hover(Offset(doc, 6, 18));
  ASSERT_TRUE(loss.has_value());
  EXPECT_THAT(*loss, HasSubstr("scalar"));
}

TEST(Document, HoverOnBuiltinShowsRegistryDoc) {
  Document doc("/p.noma", kProgram, 1);
  std::optional<std::string> h = doc.Hover(Offset(doc, 4, 18));  // matmul
  ASSERT_TRUE(h.has_value());
  EXPECT_THAT(*h, HasSubstr("matmul(A, B)"));
  EXPECT_THAT(*h, HasSubstr("matrix product"));
  EXPECT_FALSE(doc.Hover(Offset(doc, 3, 30)).has_value());  // A number.
}

TEST(Document, DefinitionFindsTheDeclaration) {
  Document doc("/p.noma", kProgram, 1);
  std::optional<syntax::SourceRange> def = doc.Definition(Offset(doc, 4, 26));  // w in matmul
  ASSERT_TRUE(def.has_value());
  Range range = doc.ToRange(*def);
  EXPECT_EQ(range.start, (Position{2, 10}));
  EXPECT_FALSE(doc.Definition(Offset(doc, 4, 18)).has_value());  // Builtins have no source.
}

TEST(Document, DefinitionOfCallFindsFunction) {
  Document doc("/p.noma", "fn f(a) {\n    return a;\n}\nfn main() {\n    print(f(1));\n}\n", 1);
  std::optional<syntax::SourceRange> def = doc.Definition(Offset(doc, 4, 10));
  ASSERT_TRUE(def.has_value());
  EXPECT_EQ(doc.ToRange(*def).start, (Position{0, 3}));
  std::optional<std::string> hover = doc.Hover(Offset(doc, 4, 10));
  ASSERT_TRUE(hover.has_value());
  EXPECT_THAT(*hover, HasSubstr("fn f(a)"));
}

TEST(Document, SymbolsListFunctionsAndVariables) {
  Document doc("/p.noma", kProgram, 1);
  std::vector<SymbolInfo> symbols = doc.Symbols();
  ASSERT_EQ(symbols.size(), 1u);
  EXPECT_EQ(symbols[0].name, "main");
  std::vector<std::string> names;
  for (const SymbolInfo& child : symbols[0].children) names.push_back(child.name);
  EXPECT_THAT(names, ::testing::ElementsAre("x", "w", "h", "loss"));
  EXPECT_EQ(symbols[0].children[1].kind, kSymbolField);
  EXPECT_THAT(symbols[0].children[1].detail, HasSubstr("learn [2, 1]"));
}

TEST(Document, CompletionOffersBuiltinsKeywordsNamesAndSettings) {
  std::string text = "fn main() {\n    let value = 1;\n    let s = sig\n}\n";
  Document doc("/p.noma", text, 1);
  uint32_t at = static_cast<uint32_t>(text.find("sig") + 3);
  std::vector<std::string> labels;
  for (const CompletionCandidate& c : doc.Complete(at)) labels.push_back(c.label);
  EXPECT_THAT(labels, ::testing::Contains("sigmoid"));
  EXPECT_THAT(labels, ::testing::Not(::testing::Contains("relu")));
  labels.clear();
  at = static_cast<uint32_t>(text.find("sig"));  // Empty prefix: everything.
  for (const CompletionCandidate& c : doc.Complete(at)) labels.push_back(c.label);
  EXPECT_THAT(labels, ::testing::IsSupersetOf({"value", "main", "relu", "optimize", "learn", "adam",
                                               "beta1", "max_iterations"}));
}

TEST(Document, FormatUsesTheFormatterAndRefusesSyntaxErrors) {
  Document doc("/p.noma", "fn main(){print(1+2);}\n", 1);
  absl::StatusOr<std::string> formatted = doc.Format();
  ASSERT_TRUE(formatted.ok());
  EXPECT_EQ(*formatted, "fn main() {\n    print(1 + 2);\n}\n");
  Document bad("/p.noma", "fn main() { print(; }\n", 1);
  EXPECT_FALSE(bad.Format().ok());
}

TEST(Document, SurvivesBinaryAndHugeText) {
  std::string binary;
  for (int i = 0; i < 5000; ++i) binary.push_back(static_cast<char>((i * 7919) % 256));
  Document doc("/b.noma", binary, 1);
  EXPECT_FALSE(doc.diagnostics().empty());
  for (uint32_t offset = 0; offset < binary.size(); offset += 97) {
    doc.Hover(offset);
    doc.Definition(offset);
    doc.Complete(offset);
  }
  doc.Symbols();
  Document huge("/h.noma", std::string(kMaxDocumentBytes + 1, 'x'), 1);
  ASSERT_EQ(huge.diagnostics().size(), 1u);
  EXPECT_THAT(huge.diagnostics()[0].message, HasSubstr("not analysed"));
  EXPECT_FALSE(huge.Format().ok());
}

}  // namespace
}  // namespace noma::lsp
