#include "noma/driver/driver.h"

#include <ostream>

#include "absl/strings/str_cat.h"
#include "noma/autodiff/autodiff.h"
#include "noma/autodiff/version.h"
#include "noma/codegen/version.h"
#include "noma/driver/version.h"
#include "noma/gpu/version.h"
#include "noma/graph/version.h"
#include "noma/interp/version.h"
#include "noma/runtime/stack.h"
#include "noma/runtime/version.h"
#include "noma/runtime/watch.h"
#include "noma/syntax/version.h"

namespace noma::driver {

namespace {

const char* LastPass(Stage last) {
  switch (last) {
    case Stage::kParse:
      return "parse";
    case Stage::kLower:
      return "check-shapes";  // The lowered IR, typed and checked.
    case Stage::kDifferentiate:
      return "";
  }
  return "";
}

// Runs the front end's passes (pipeline.h) on an already loaded file.
bool CompileLoaded(Stage last, Compilation& c, FrontEndOptions options) {
  FrontEndState state;
  state.sources = &c.sources;
  state.file = c.file;
  state.diagnostics = &c.diagnostics;
  if (options.stop_after.empty()) options.stop_after = LastPass(last);
  bool ok = RunFrontEnd(state, options);
  c.program = std::move(state.program);
  c.module = std::move(state.module);
  return ok;
}

}  // namespace

bool Compile(const std::string& path, const std::string& display_name, Stage last, Compilation& c,
             const FrontEndOptions& options) {
  auto file = c.sources.AddFile(path, display_name);
  if (!file.ok()) {
    c.diagnostics.Error({}, std::string(file.status().message()));
    return false;
  }
  c.file = *file;
  return CompileLoaded(last, c, options);
}

bool CompileSource(const std::string& display_name, std::string text, Stage last, Compilation& c,
                   const FrontEndOptions& options) {
  c.file = c.sources.AddBuffer(display_name, std::move(text));
  return CompileLoaded(last, c, options);
}

void PrintDiagnostics(const Compilation& c, std::ostream& err) {
  err << c.diagnostics.Render(c.sources);
}

namespace {

// Deep recursion in a NOMA program is deep recursion in the interpreter: run it on a thread
// with a large stack (only the pages actually touched are committed).
constexpr size_t kInterpreterStackBytes = size_t{1} << 30;

struct InterpretTask {
  const graph::Module* module;
  interp::Options options;
  absl::StatusOr<interp::Outcome> outcome = absl::UnknownError("not run");
};

void* RunInterpretTask(void* arg) {
  auto* task = static_cast<InterpretTask*>(arg);
  task->outcome = interp::Run(*task->module, task->options);
  return nullptr;
}

absl::StatusOr<interp::Outcome> RunWithLargeStack(const graph::Module& module,
                                                  const interp::Options& options) {
  InterpretTask task{&module, options};
  // Leave headroom for the frames below the first interpreted call.
  task.options.stack_budget_bytes = kInterpreterStackBytes - (size_t{16} << 20);
  if (!runtime::RunWithStack(kInterpreterStackBytes, RunInterpretTask, &task)) {
    return interp::Run(module, options);  // The default budget keeps it safe.
  }
  return std::move(task.outcome);
}

}  // namespace

int Interpret(const Compilation& c, const interp::Options& options) {
  absl::StatusOr<interp::Outcome> outcome = RunWithLargeStack(c.module, options);
  runtime::TrainingWatch::Get().ClearProgress();  // Before an error is printed.
  options.out->flush();
  if (!outcome.ok()) {
    *options.err << "error: internal interpreter error: " << outcome.status().message() << "\n";
    return 1;
  }
  if (outcome->error) {
    *options.err << syntax::RenderDiagnostic(*outcome->error, c.sources);
    return 1;
  }
  return 0;
}

std::vector<std::pair<std::string, std::string>> StageVersions() {
  return {
      {"syntax", syntax::kVersion},     {"graph", graph::kVersion},
      {"autodiff", autodiff::kVersion}, {"codegen", codegen::kVersion},
      {"runtime", runtime::kVersion},   {"gpu", gpu::kVersion},
      {"interp", interp::kVersion},     {"driver", driver::kVersion},
  };
}

}  // namespace noma::driver
