#ifndef NOMA_DRIVER_DRIVER_H_
#define NOMA_DRIVER_DRIVER_H_

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "noma/driver/pipeline.h"
#include "noma/graph/ir.h"
#include "noma/interp/interp.h"
#include "noma/syntax/ast.h"
#include "noma/syntax/diagnostics.h"
#include "noma/syntax/source.h"

namespace noma::driver {

// One compilation: the source, its diagnostics and every intermediate form.
struct Compilation {
  syntax::SourceManager sources;
  syntax::DiagnosticEngine diagnostics;
  syntax::FileId file = syntax::kNoFile;
  syntax::Program program;
  graph::Module module;
};

// How far Compile runs the front end's passes (pipeline.h): parse; lower (with inference, the
// typed lowered IR); or everything (differentiate, infer again, verify).
enum class Stage { kParse, kLower, kDifferentiate };

// Reads `path` (shown as `display_name` in messages) and runs the front end up to `last`.
// Returns false if any error was reported; the diagnostics are in `compilation.diagnostics`
// (an unreadable file is reported there too, without a location).
// `options` can stop earlier than `last` and observe the IR after each pass.
bool Compile(const std::string& path, const std::string& display_name, Stage last,
             Compilation& compilation, const FrontEndOptions& options = {});

// Like Compile, for in-memory source text (tests, tools that generate programs).
bool CompileSource(const std::string& display_name, std::string text, Stage last,
                   Compilation& compilation, const FrontEndOptions& options = {});

// Prints the diagnostics collected so far to `err`.
void PrintDiagnostics(const Compilation& compilation, std::ostream& err);

// Executes a compiled program with the interpreter. Returns the process exit code (0, or 1
// after printing a run-time error to `err`).
int Interpret(const Compilation& compilation, const interp::Options& options);

// (stage, version) for `noma version`.
std::vector<std::pair<std::string, std::string>> StageVersions();

}  // namespace noma::driver

#endif  // NOMA_DRIVER_DRIVER_H_
