#include "noma/syntax/diagnostics.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace noma::syntax {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RenderDiagnosticTest, ErrorWithSnippetUnderlineAndHint) {
  SourceManager sources;
  FileId file = sources.AddBuffer("file.noma", "fn main() {\n  let y = matmul(a, b);\n}\n");
  Diagnostic d{Severity::kError, {file, 22, 34}, "message", "a hint", {}};
  EXPECT_EQ(RenderDiagnostic(d, sources),
            "file.noma:2:11: error: message\n"
            " 2 |   let y = matmul(a, b);\n"
            "   |           ^~~~~~~~~~~~\n"
            "hint: a hint\n");
}

TEST(RenderDiagnosticTest, WarningsAndNotesShareTheFormat) {
  SourceManager sources;
  FileId file = sources.AddBuffer("w.noma", "fn main() { }\n");
  Diagnostic warning{Severity::kWarning, {file, 3, 7}, "unused", "remove it", {}};
  warning.notes.push_back({Severity::kNote, {file, 0, 2}, "declared here", "", {}});
  EXPECT_EQ(RenderDiagnostic(warning, sources),
            "w.noma:1:4: warning: unused\n"
            " 1 | fn main() { }\n"
            "   |    ^~~~\n"
            "hint: remove it\n"
            "w.noma:1:1: note: declared here\n"
            " 1 | fn main() { }\n"
            "   | ^~\n");
}

TEST(RenderDiagnosticTest, RangesWithoutAPosition) {
  SourceManager sources;
  FileId file = sources.AddBuffer("f.noma", "x");
  EXPECT_EQ(RenderDiagnostic({Severity::kError, {}, "no file", "", {}}, sources),
            "error: no file\n");
  EXPECT_EQ(
      RenderDiagnostic({Severity::kError, WholeFile(file), "the whole file", "hint", {}}, sources),
      "f.noma: error: the whole file\nhint: hint\n");
  EXPECT_EQ(RenderDiagnostic({Severity::kWarning, {}, "careful", "", {}}, sources),
            "warning: careful\n");
}

TEST(RenderDiagnosticTest, EmptyRangeAndEndOfFile) {
  SourceManager sources;
  FileId file = sources.AddBuffer("f.noma", "let a = 1\nlet b");
  // An empty range (a missing ';') still gets one caret.
  EXPECT_EQ(RenderDiagnostic({Severity::kError, {file, 9, 9}, "here", "", {}}, sources),
            "f.noma:1:10: error: here\n"
            " 1 | let a = 1\n"
            "   |          ^\n");
  // At the very end of a file without a final newline.
  EXPECT_EQ(RenderDiagnostic({Severity::kError, {file, 15, 15}, "eof", "", {}}, sources),
            "f.noma:2:6: error: eof\n"
            " 2 | let b\n"
            "   |      ^\n");
}

TEST(RenderDiagnosticTest, MultiLineRangeIsClippedToItsFirstLine) {
  SourceManager sources;
  FileId file = sources.AddBuffer("f.noma", "if x {\n  y;\n}\n");
  EXPECT_EQ(RenderDiagnostic({Severity::kError, {file, 3, 13}, "m", "", {}}, sources),
            "f.noma:1:4: error: m\n"
            " 1 | if x {\n"
            "   |    ^~~\n");
}

TEST(RenderDiagnosticTest, CaretsLineUpWithTabsAndUtf8) {
  SourceManager sources;
  FileId file = sources.AddBuffer("f.noma", "\tprint(\"h\xC3\xA9\") + x\r\n");
  // `x` is at byte 16 (column 17), but the 2-byte 'é' takes one terminal column.
  EXPECT_EQ(RenderDiagnostic({Severity::kError, {file, 16, 17}, "m", "", {}}, sources),
            "f.noma:1:17: error: m\n"
            " 1 | \tprint(\"h\xC3\xA9\") + x\n"
            "   | \t              ^\n");
}

TEST(RenderDiagnosticTest, ControlCharactersAreNotPrinted) {
  SourceManager sources;
  FileId file = sources.AddBuffer("f.noma", std::string("a\x1b[2J\0b\xFFz", 9));
  std::string text = RenderDiagnostic({Severity::kError, {file, 8, 9}, "m", "", {}}, sources);
  EXPECT_THAT(text, HasSubstr(" 1 | a?[2J?b?z\n   |         ^\n"));
}

TEST(RenderDiagnosticTest, LongLinesShowAWindowAroundTheCaret) {
  SourceManager sources;
  std::string line = std::string(300, 'a') + "ERR" + std::string(300, 'b');
  FileId file = sources.AddBuffer("f.noma", line);
  std::string text = RenderDiagnostic({Severity::kError, {file, 300, 303}, "m", "", {}}, sources);
  EXPECT_THAT(text, HasSubstr("f.noma:1:301: error: m\n"));
  EXPECT_THAT(text, HasSubstr(" 1 | ..." + std::string(40, 'a') + "ERR"));
  EXPECT_THAT(text, HasSubstr("b...\n"));
  EXPECT_THAT(text, HasSubstr("\n   | " + std::string(43, ' ') + "^~~\n"));
  EXPECT_LT(text.size(), 400u);
}

TEST(RenderDiagnosticTest, WideGutterForLargeLineNumbers) {
  SourceManager sources;
  std::string text;
  for (int i = 0; i < 1233; ++i) text += "\n";
  text += "bad";
  FileId file = sources.AddBuffer("f.noma", text);
  EXPECT_EQ(RenderDiagnostic({Severity::kError, {file, 1233, 1236}, "m", "", {}}, sources),
            "f.noma:1234:1: error: m\n"
            " 1234 | bad\n"
            "      | ^~~\n");
}

TEST(DiagnosticEngineTest, CountsAndCapsErrors) {
  SourceManager sources;
  FileId file = sources.AddBuffer("f.noma", "abc");
  DiagnosticEngine engine(3);
  EXPECT_FALSE(engine.has_errors());
  engine.Warning({file, 0, 1}, "w");
  EXPECT_FALSE(engine.has_errors());
  for (int i = 0; i < 5; ++i) engine.Error({file, 1, 2}, "e" + std::to_string(i));
  EXPECT_TRUE(engine.has_errors());
  EXPECT_EQ(engine.error_count(), 3u);
  EXPECT_TRUE(engine.at_error_limit());
  EXPECT_EQ(engine.diagnostics().size(), 4u);  // The warning and three errors.
  engine.Warning({file, 0, 1}, "warnings are not capped");
  EXPECT_EQ(engine.diagnostics().size(), 5u);
  std::string text = engine.Render(sources);
  EXPECT_THAT(text, HasSubstr("f.noma:1:2: error: e2\n"));
  EXPECT_THAT(text, Not(HasSubstr("e3")));
  EXPECT_THAT(text, HasSubstr("note: stopped after 3 errors (2 more not shown)\n"));
  engine.Clear();
  EXPECT_FALSE(engine.has_errors());
  EXPECT_TRUE(engine.diagnostics().empty());
  EXPECT_EQ(engine.Render(sources), "");
}

TEST(DiagnosticEngineTest, DefaultCapIsTwenty) {
  EXPECT_EQ(DiagnosticEngine::kDefaultMaxErrors, 20u);
  DiagnosticEngine engine;
  SourceManager sources;
  for (int i = 0; i < 20; ++i) engine.Error({}, "e");
  EXPECT_TRUE(engine.at_error_limit());
  EXPECT_THAT(engine.Render(sources), HasSubstr("note: stopped after 20 errors\n"));
}

TEST(DiagnosticEngineTest, ReportKeepsHintsAndNotes) {
  DiagnosticEngine engine;
  Diagnostic d{Severity::kError, {}, "m", "h", {}};
  d.notes.push_back({Severity::kNote, {}, "n", "", {}});
  engine.Report(d);
  ASSERT_EQ(engine.diagnostics().size(), 1u);
  EXPECT_EQ(engine.diagnostics()[0].hint, "h");
  ASSERT_EQ(engine.diagnostics()[0].notes.size(), 1u);
  SourceManager sources;
  EXPECT_EQ(engine.Render(sources), "error: m\nhint: h\nnote: n\n");
}

TEST(DiagnosticEngineTest, SortByLocationIsStable) {
  SourceManager sources;
  FileId a = sources.AddBuffer("a.noma", "0123456789");
  FileId b = sources.AddBuffer("b.noma", "0123456789");
  DiagnosticEngine engine;
  engine.Error({b, 1, 2}, "b1");
  engine.Error({a, 5, 6}, "a5");
  engine.Error({a, 2, 3}, "a2 first");
  engine.Error({a, 2, 3}, "a2 second");
  engine.SortByLocation();
  std::vector<std::string> order;
  for (const Diagnostic& d : engine.diagnostics()) order.push_back(d.message);
  EXPECT_EQ(order, (std::vector<std::string>{"a2 first", "a2 second", "a5", "b1"}));
}

TEST(ClosestNameTest, SuggestsPlausibleTypos) {
  std::vector<std::string> names = {"learning_rate", "loss", "weights", "sigmoid", "lr"};
  EXPECT_EQ(ClosestName("lerning_rate", names), "learning_rate");    // Deletion.
  EXPECT_EQ(ClosestName("learning_rates", names), "learning_rate");  // Insertion.
  EXPECT_EQ(ClosestName("sigmod", names), "sigmoid");
  EXPECT_EQ(ClosestName("wieghts", names), "weights");  // Adjacent swap counts once.
  EXPECT_EQ(ClosestName("lss", names), "loss");
  EXPECT_EQ(ClosestName("rl", names), "lr");
}

TEST(ClosestNameTest, NoSuggestionWhenNothingIsClose) {
  std::vector<std::string> names = {"learning_rate", "loss", "x"};
  EXPECT_EQ(ClosestName("banana", names), "");
  EXPECT_EQ(ClosestName("y", names), "");     // One-letter names match anything one-letter.
  EXPECT_EQ(ClosestName("loss", names), "");  // Itself is not a suggestion.
  EXPECT_EQ(ClosestName("anything", {}), "");
  EXPECT_EQ(ClosestName("", names), "");
}

TEST(ClosestNameTest, PrefersTheNearestThenTheFirst) {
  EXPECT_EQ(ClosestName("abcdef", {"abcxyz", "abcdeg", "abcdez"}), "abcdeg");
  EXPECT_EQ(ClosestName("matmull", {"matmul", "matmux"}), "matmul");
}

}  // namespace
}  // namespace noma::syntax
