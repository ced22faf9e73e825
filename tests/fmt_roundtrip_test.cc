// `noma fmt` on every program in tests/ and examples/: the formatted program parses to the
// same AST, formatting it again changes nothing, and every comment survives.
#include <dirent.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "noma/syntax/formatter.h"
#include "noma/syntax/parser.h"

namespace noma {
namespace {

std::vector<std::string> NomaFiles(const std::string& dir) {
  std::vector<std::string> files;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* entry = readdir(d)) {
      std::string name = entry->d_name;
      if (name.size() > 5 && name.substr(name.size() - 5) == ".noma") {
        files.push_back(dir + "/" + name);
      }
    }
    closedir(d);
  }
  return files;
}

TEST(FmtRoundTrip, AllProgramsKeepTheirMeaning) {
  std::vector<std::string> files = NomaFiles("tests");
  std::vector<std::string> examples = NomaFiles("examples");
  files.insert(files.end(), examples.begin(), examples.end());
  ASSERT_GT(files.size(), 20u);
  int checked = 0;
  for (const std::string& path : files) {
    syntax::SourceManager sources;
    syntax::DiagnosticEngine diagnostics;
    auto file = sources.AddFile(path, path);
    ASSERT_TRUE(file.ok()) << path;
    syntax::Program program = syntax::Parse(sources, *file, diagnostics);
    if (diagnostics.has_errors()) continue;  // Programs that test syntax errors.
    std::string formatted = syntax::Format(program, sources);
    syntax::SourceManager sources2;
    syntax::DiagnosticEngine diagnostics2;
    syntax::FileId file2 = sources2.AddBuffer(path, formatted);
    syntax::Program reparsed = syntax::Parse(sources2, file2, diagnostics2);
    ASSERT_FALSE(diagnostics2.has_errors()) << path << "\n" << diagnostics2.Render(sources2);
    EXPECT_EQ(syntax::DumpAst(reparsed), syntax::DumpAst(program)) << path;
    EXPECT_EQ(syntax::Format(reparsed, sources2), formatted) << path;
    ASSERT_EQ(reparsed.comments.size(), program.comments.size()) << path;
    for (size_t i = 0; i < program.comments.size(); ++i) {
      EXPECT_EQ(reparsed.comments[i].text, program.comments[i].text) << path;
    }
    ++checked;
  }
  EXPECT_GT(checked, 20);
}

}  // namespace
}  // namespace noma
