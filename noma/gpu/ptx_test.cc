// Every fused chain of every given program, and every elementwise kernel on its own, compiles
// to PTX for sm_80 and sm_90 that CUDA's ptxas assembles without error.
//   ptx_test PTXAS PROGRAM...
#include "noma/gpu/ptx.h"

#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "noma/autodiff/autodiff.h"
#include "noma/codegen/codegen.h"
#include "noma/graph/lower.h"
#include "noma/runtime/tensor.h"
#include "noma/syntax/parser.h"

namespace noma::gpu {
namespace {

std::string ptxas;
std::vector<std::string> programs;

std::string Libdevice() {
  char resolved[PATH_MAX];
  if (realpath(ptxas.c_str(), resolved) == nullptr) return "";
  std::string bin = resolved;
  return bin.substr(0, bin.rfind('/')) + "/../nvvm/libdevice/libdevice.10.bc";
}

// Assembles `ptx` for `sm` with ptxas; returns its output on failure, "" on success.
std::string Assemble(const std::string& ptx, const std::string& sm, const std::string& label) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", label, ".", sm, ".ptx");
  std::ofstream(path) << ptx;
  std::string log = path + ".log";
  std::string command =
      absl::StrCat("'", ptxas, "' -arch=", sm, " '", path, "' -o /dev/null > '", log, "' 2>&1");
  int status = std::system(command.c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  std::ifstream in(log);
  return std::string(std::istreambuf_iterator<char>(in), {}) + " (" + path + ")";
}

void CheckKernel(const std::vector<int32_t>& program, int32_t leaves, const std::string& label) {
  for (const char* sm : {"sm_80", "sm_90"}) {
    absl::StatusOr<std::string> ptx = ElementwiseKernelPtx(program, leaves, "k", sm, Libdevice());
    ASSERT_TRUE(ptx.ok()) << label << ": " << ptx.status();
    EXPECT_NE(ptx->find(".entry k("), std::string::npos) << label;
    EXPECT_EQ(ptx->find("__nvvm_reflect"), std::string::npos) << label;
    EXPECT_EQ(Assemble(*ptx, sm, label), "") << label << " for " << sm;
  }
}

TEST(PtxTest, EveryElementwiseKernelAssembles) {
  for (int k = 0; k <= static_cast<int>(runtime::UnaryKernel::kCastI64); ++k) {
    CheckKernel({1, k, 0, 0}, 1, absl::StrCat("unary", k));
  }
  for (int k = 0; k <= static_cast<int>(runtime::BinaryKernel::kOr); ++k) {
    CheckKernel({2, k, 0, 1}, 2, absl::StrCat("binary", k));
  }
}

TEST(PtxTest, EveryFusedChainOfTheProgramsAssembles) {
  ASSERT_FALSE(programs.empty());
  int chains = 0;
  for (const std::string& path : programs) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    syntax::SourceManager sources;
    syntax::DiagnosticEngine diagnostics;
    syntax::FileId file = sources.AddBuffer(path, text);
    syntax::Program ast = syntax::Parse(sources, file, diagnostics);
    if (diagnostics.has_errors()) continue;  // Programs that test compile-time errors.
    graph::Module module = graph::Lower(ast, diagnostics);
    if (diagnostics.has_errors()) continue;
    autodiff::Differentiate(module, diagnostics);
    if (diagnostics.has_errors()) continue;
    // All chains of a program in one module, as `noma compile --emit=ptx` writes it.
    std::vector<ChainKernel> kernels;
    for (const graph::Function& fn : module.functions) {
      for (const codegen::FusionGroup& group : codegen::PlanFusionGroups(fn)) {
        kernels.push_back({codegen::FusionProgram(fn, group),
                           static_cast<int32_t>(group.leaves.size()),
                           absl::StrCat("chain", chains++)});
      }
    }
    if (kernels.empty()) continue;
    std::string label = path.substr(path.rfind('/') + 1);
    for (const char* sm : {"sm_80", "sm_90"}) {
      absl::StatusOr<std::string> ptx = ChainsPtx(kernels, sm, Libdevice());
      ASSERT_TRUE(ptx.ok()) << label << ": " << ptx.status();
      EXPECT_NE(ptx->find(absl::StrCat(".entry ", kernels.back().name, "(")), std::string::npos);
      EXPECT_EQ(Assemble(*ptx, sm, label), "") << label << " for " << sm;
    }
  }
  EXPECT_GT(chains, 10);  // The training programs fuse their optimizer updates.
}

}  // namespace
}  // namespace noma::gpu

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: ptx_test PTXAS PROGRAM...\n");
    return 2;
  }
  noma::gpu::ptxas = argv[1];
  for (int i = 2; i < argc; ++i) noma::gpu::programs.push_back(argv[i]);
  return RUN_ALL_TESTS();
}
