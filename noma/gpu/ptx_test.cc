// The GPU kernels (the standard ones, and those of every given program's fused chains) compile
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
#include "noma/gpu/kernel_names.h"
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

// The text of kernel `name` in `ptx`, up to the next kernel.
std::string KernelText(const std::string& ptx, const std::string& name) {
  size_t begin = ptx.find(absl::StrCat(".entry ", name, "("));
  if (begin == std::string::npos) return "";
  size_t end = ptx.find(".entry ", begin + 1);
  return ptx.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// The matmul is one fused multiply-add per term (docs/numerics.md) and nothing else; other
// arithmetic is rounded per operation and never contracted (libdevice's own functions may
// use fma), so results stay the CPU's.
void ExpectNoContraction(const std::string& ptx, const std::string& label) {
  std::string matmul = KernelText(ptx, kMatmulKernel);
  EXPECT_NE(matmul.find("fma.rn.f64"), std::string::npos) << label;
  EXPECT_EQ(matmul.find("mul.rn.f64"), std::string::npos) << label;
  EXPECT_EQ(matmul.find("add.rn.f64"), std::string::npos) << label;
  std::string add = KernelText(ptx, ChainKernelName(2, {2, 0, 0, 1}));
  EXPECT_NE(add.find("add.rn.f64"), std::string::npos) << label;
  EXPECT_EQ(add.find("fma."), std::string::npos) << label;
}

TEST(PtxTest, TheStandardKernelsAssemble) {
  for (const char* sm : {"sm_80", "sm_90"}) {
    absl::StatusOr<std::string> ptx = KernelsPtx({}, sm, Libdevice());
    ASSERT_TRUE(ptx.ok()) << ptx.status();
    for (const char* name : {kMatmulKernel, kTransposeKernel, kReduceKernel}) {
      EXPECT_NE(ptx->find(absl::StrCat(".entry ", name, "(")), std::string::npos) << name;
    }
    int chains = 0;
    for (const ChainKernel& chain : StandardChains()) {
      std::string name = ChainKernelName(chain.leaf_count, chain.program);
      EXPECT_NE(ptx->find(absl::StrCat(".entry ", name, "(")), std::string::npos) << name;
      ++chains;
    }
    EXPECT_EQ(chains, runtime::kUnaryKernelCount + runtime::kBinaryKernelCount);
    EXPECT_EQ(ptx->find("__nvvm_reflect"), std::string::npos);
    ExpectNoContraction(*ptx, "standard");
    EXPECT_EQ(Assemble(*ptx, sm, "standard"), "") << sm;
  }
}

TEST(PtxTest, EveryKernelOfTheProgramsAssembles) {
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
    // The module `--target=cuda` embeds: the standard kernels and every fused chain.
    std::vector<ChainKernel> kernels = ProgramChains(module);
    if (kernels.empty()) continue;
    chains += static_cast<int>(kernels.size());
    std::string label = path.substr(path.rfind('/') + 1);
    for (const char* sm : {"sm_80", "sm_90"}) {
      absl::StatusOr<std::string> ptx = KernelsPtx(kernels, sm, Libdevice());
      ASSERT_TRUE(ptx.ok()) << label << ": " << ptx.status();
      for (const ChainKernel& chain : kernels) {
        std::string name = ChainKernelName(chain.leaf_count, chain.program);
        EXPECT_NE(ptx->find(absl::StrCat(".entry ", name, "(")), std::string::npos) << label;
      }
      ExpectNoContraction(*ptx, label);
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
