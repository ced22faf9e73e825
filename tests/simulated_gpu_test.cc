// Every program of tests/ and examples/ run with `--target=cuda` on a simulated GPU
// (noma/gpu/simulator.h: the generated kernels compiled for the host, behind a fake driver,
// launched by the real launcher) prints what it prints on the CPU, numbers equal within 1e-12
// relative (the GPU issue's criterion), with the same errors and exit status; and the training
// programs really run their tensor work as kernels.
//   simulated_gpu_test PROGRAM...   (data files under tests/data are found from the runfiles)
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "noma/driver/driver.h"
#include "noma/driver/native.h"
#include "noma/gpu/program_cuda.h"
#include "noma/gpu/ptx.h"
#include "noma/gpu/simulator.h"
#include "noma/runtime/program.h"

namespace noma {
namespace {

std::vector<std::string> programs;

// The program options of `// ARGS:`, and whether `// MODES:` leaves out fast-run.
struct Directives {
  std::vector<std::string> args;
  bool jit = true;
};

Directives ReadDirectives(const std::string& text) {
  Directives directives;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "// ARGS:")) {
      directives.args = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    } else if (absl::ConsumePrefix(&line, "// MODES:")) {
      directives.jit = line.find("fast-run") != absl::string_view::npos;
    }
  }
  return directives;
}

// Equal text, where numbers may differ by 1e-12 relative.
bool SameOutput(const std::string& cpu, const std::string& gpu, std::string* why) {
  size_t i = 0, j = 0;
  while (i < cpu.size() && j < gpu.size()) {
    bool starts_number = std::isdigit(static_cast<unsigned char>(cpu[i])) ||
                         ((cpu[i] == '-' || cpu[i] == '.') && i + 1 < cpu.size() &&
                          std::isdigit(static_cast<unsigned char>(cpu[i + 1])));
    if (starts_number) {
      char* cpu_end;
      char* gpu_end;
      double a = std::strtod(cpu.c_str() + i, &cpu_end);
      double b = std::strtod(gpu.c_str() + j, &gpu_end);
      if (gpu_end == gpu.c_str() + j) break;
      if (!(a == b || std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b)) ||
            (std::isnan(a) && std::isnan(b)))) {
        *why = "numbers differ: " + cpu.substr(i, cpu_end - cpu.c_str() - i) + " vs " +
               gpu.substr(j, gpu_end - gpu.c_str() - j);
        return false;
      }
      i = cpu_end - cpu.c_str();
      j = gpu_end - gpu.c_str();
      continue;
    }
    if (cpu[i] != gpu[j]) break;
    ++i;
    ++j;
  }
  if (i == cpu.size() && j == gpu.size()) return true;
  *why = "text differs at \"" + cpu.substr(i, 40) + "\" vs \"" + gpu.substr(j, 40) + "\"";
  return false;
}

struct Outcome {
  int code = 0;
  std::string out;
  std::string err;
};

// Runs the compiled program in a fresh copy of the working directory (programs write files).
Outcome RunIn(const driver::Compilation& compilation, const noma_run_options& options,
              const codegen::ProgramRunner& runner, const std::string& work) {
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work + "/tests");
  std::filesystem::copy("tests/data", work + "/tests/data",
                        std::filesystem::copy_options::recursive);
  std::filesystem::create_directory_symlink("tests/data", work + "/data");
  char previous[4096];
  EXPECT_NE(getcwd(previous, sizeof previous), nullptr);
  EXPECT_EQ(chdir(work.c_str()), 0);
  Outcome outcome;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  codegen::Options codegen_options;
  codegen_options.target_cpu = "native";
  outcome.code = driver::RunNative(compilation, codegen_options, options, std::cerr, runner);
  std::fflush(stdout);
  outcome.out = testing::internal::GetCapturedStdout();
  outcome.err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(chdir(previous), 0);
  return outcome;
}

std::string Scratch(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/" + name;
}

// The default program options, without live progress.
noma_run_options QuietOptions() {
  noma_run_options options;
  EXPECT_EQ(noma_p_parse_options(0, nullptr, "", &options), 0);
  options.progress = 0;
  return options;
}

// Runs the program through the real launcher on `driver` (and `blas`).
Outcome RunOnGpu(const driver::Compilation& compilation, const noma_run_options& options,
                 const gpu::GpuRunOptions& gpu_options, const gpu::DriverApi& driver,
                 const gpu::BlasApi* blas, const std::string& work) {
  return RunIn(
      compilation, options,
      [&](const noma_program* program, const noma_run_options& run_options) {
        return gpu::RunProgram(program, "(PTX: the simulator runs host kernels)", run_options,
                               gpu_options, &driver, blas);
      },
      work);
}

TEST(SimulatedGpuTest, EveryProgramGivesTheCpuOutput) {
  ASSERT_FALSE(programs.empty());
  std::string scratch = Scratch("simulated_gpu");
  int compared = 0, on_gpu = 0;
  int64_t launches = 0;
  for (const std::string& path : programs) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    Directives directives = ReadDirectives(text);
    if (!directives.jit) continue;
    driver::Compilation compilation;
    if (!driver::CompileSource(path, text, driver::Stage::kDifferentiate, compilation)) continue;
    std::vector<const char*> args;
    for (const std::string& arg : directives.args) args.push_back(arg.c_str());
    noma_run_options options;
    if (noma_p_parse_options(static_cast<int>(args.size()), args.data(), "", &options) != 0) {
      continue;  // Programs that test the option parser.
    }
    options.progress = 0;
    Outcome cpu = RunIn(compilation, options, nullptr, scratch + "/cpu");

    absl::StatusOr<std::unique_ptr<gpu::Simulator>> simulator =
        gpu::Simulator::Create(gpu::ProgramChains(compilation.module));
    ASSERT_TRUE(simulator.ok()) << path << ": " << simulator.status();
    Outcome gpu = RunOnGpu(compilation, options, gpu::GpuRunOptions{}, (*simulator)->api(), nullptr,
                           scratch + "/gpu");
    const gpu::Simulator::Counters& counters = (*simulator)->counters();
    std::string why;
    EXPECT_EQ(cpu.code, gpu.code) << path << "\nCPU stderr: " << cpu.err << "\nGPU: " << gpu.err;
    EXPECT_TRUE(SameOutput(cpu.out, gpu.out, &why)) << path << " stdout: " << why;
    EXPECT_TRUE(SameOutput(cpu.err, gpu.err, &why)) << path << " stderr: " << why;
    EXPECT_EQ(counters.live_buffers, 0) << path << ": device memory leaked";
    ++compared;
    if (counters.launches > 0) ++on_gpu;
    launches += counters.launches;
  }
  std::printf("%d programs compared, %d ran kernels, %lld launches\n", compared, on_gpu,
              static_cast<long long>(launches));
  EXPECT_GT(compared, 50);
  EXPECT_GT(on_gpu, 30);
  EXPECT_GT(launches, 10000);
}

// The launcher really keeps training state on the device: a training loop's tensors are not
// copied back and forth every iteration.
TEST(SimulatedGpuTest, TrainingStaysOnTheDevice) {
  const std::string text = R"(
fn main() {
    let x = tensor [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]];
    let y = tensor [[1.0], [2.0], [3.0], [4.0]];
    learn w = tensor [[0.1], [0.2]];
    learn b = tensor [0.0];
    optimize(w, b) with adam(lr: 0.01, max_iterations: 400) until loss < 0.0000000001 {
        let p = matmul(x, w) + b;
        let loss = mean((p - y) ^ 2);
        minimize loss;
    }
    print(w);
}
)";
  driver::Compilation compilation;
  ASSERT_TRUE(driver::CompileSource("train.noma", text, driver::Stage::kDifferentiate, compilation))
      << "the test program does not compile";
  absl::StatusOr<std::unique_ptr<gpu::Simulator>> simulator =
      gpu::Simulator::Create(gpu::ProgramChains(compilation.module));
  ASSERT_TRUE(simulator.ok()) << simulator.status();
  Outcome gpu = RunOnGpu(compilation, QuietOptions(), gpu::GpuRunOptions{}, (*simulator)->api(),
                         nullptr, Scratch("resident"));
  ASSERT_EQ(gpu.code, 0) << gpu.err;
  const gpu::Simulator::Counters& counters = (*simulator)->counters();
  // 400 iterations of ~30 kernels; what crosses the bus is the inputs once and one 8-byte
  // loss per iteration (plus the printed result), not the parameters or Adam's moments.
  EXPECT_GT(counters.launches, 400 * 10);
  EXPECT_LT(counters.uploaded_bytes, 400 * 8 * 4);
  EXPECT_LT(counters.downloaded_bytes, 400 * 8 * 2 + 1024);
}

// A failing driver call is a run-time error at the program's source location, exit 1.
TEST(SimulatedGpuTest, DriverErrorsAreLocatedRunTimeErrors) {
  const std::string text = R"(fn main() {
    let x = tensor [[1.0, 2.0], [3.0, 4.0]];
    print(matmul(x, x));
}
)";
  driver::Compilation compilation;
  ASSERT_TRUE(driver::CompileSource("oom.noma", text, driver::Stage::kDifferentiate, compilation));
  absl::StatusOr<std::unique_ptr<gpu::Simulator>> simulator = gpu::Simulator::Create({});
  ASSERT_TRUE(simulator.ok()) << simulator.status();
  gpu::DriverApi api = (*simulator)->api();
  api.mem_alloc = [](CUdeviceptr*, size_t) { return CUDA_ERROR_OUT_OF_MEMORY; };
  Outcome gpu =
      RunOnGpu(compilation, QuietOptions(), gpu::GpuRunOptions{}, api, nullptr, Scratch("oom"));
  EXPECT_EQ(gpu.code, 1);
  EXPECT_EQ(gpu.out, "");
  EXPECT_NE(gpu.err.find("oom.noma:3:11: error: CUDA_ERROR_OUT_OF_MEMORY (2) in cuMemAlloc"),
            std::string::npos)
      << gpu.err;
}

// A program that adds 1 to a tensor, for the start-up tests below.
constexpr char kTinyProgram[] = "fn main() { print(tensor [1.0] + 1); }\n";

// A GPU that cannot load the kernels stops the program before it starts (or, with
// --device=auto, leaves it to the CPU).
TEST(SimulatedGpuTest, KernelsThatDoNotLoadAreAClearError) {
  driver::Compilation compilation;
  ASSERT_TRUE(
      driver::CompileSource("p.noma", kTinyProgram, driver::Stage::kDifferentiate, compilation));
  absl::StatusOr<std::unique_ptr<gpu::Simulator>> simulator = gpu::Simulator::Create({});
  ASSERT_TRUE(simulator.ok()) << simulator.status();
  gpu::DriverApi api = (*simulator)->api();
  api.module_load_data = [](CUmodule*, const void*) { return CUDA_ERROR_UNSUPPORTED_PTX_VERSION; };
  for (gpu::DeviceChoice choice : {gpu::DeviceChoice::kCuda, gpu::DeviceChoice::kAuto}) {
    Outcome outcome = RunOnGpu(compilation, QuietOptions(), gpu::GpuRunOptions{choice}, api,
                               nullptr, Scratch("noload"));
    if (choice == gpu::DeviceChoice::kCuda) {
      EXPECT_EQ(outcome.code, 1);
      EXPECT_EQ(outcome.out, "");
      EXPECT_NE(outcome.err.find("error: this program cannot start on the GPU: "),
                std::string::npos)
          << outcome.err;
      EXPECT_NE(outcome.err.find("in cuModuleLoadData"), std::string::npos) << outcome.err;
    } else {
      EXPECT_EQ(outcome.code, 0);
      EXPECT_EQ(outcome.out, "[2]\n");
      EXPECT_NE(outcome.err.find("running on the CPU"), std::string::npos) << outcome.err;
    }
  }
}

// --gpu-matmul=cublas: matmul through cuBLAS's column-major DGEMM (operands swapped for
// row-major), training included, gives the CPU's output.
TEST(SimulatedGpuTest, CublasMatmulGivesTheCpuOutput) {
  std::ifstream in("examples/xor_growth.noma");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(text.empty());
  driver::Compilation compilation;
  ASSERT_TRUE(driver::CompileSource("xor.noma", text, driver::Stage::kDifferentiate, compilation));
  absl::StatusOr<std::unique_ptr<gpu::Simulator>> simulator =
      gpu::Simulator::Create(gpu::ProgramChains(compilation.module));
  ASSERT_TRUE(simulator.ok()) << simulator.status();
  noma_run_options options = QuietOptions();
  Outcome cpu = RunIn(compilation, options, nullptr, Scratch("cublas"));
  gpu::GpuRunOptions gpu_options;
  gpu_options.cublas = true;
  Outcome gpu = RunOnGpu(compilation, options, gpu_options, (*simulator)->api(),
                         &(*simulator)->blas(), Scratch("cublas"));
  std::string why;
  EXPECT_EQ(gpu.code, cpu.code) << gpu.err;
  EXPECT_TRUE(SameOutput(cpu.out, gpu.out, &why)) << why;
  EXPECT_GT((*simulator)->counters().dgemms, 100);
  EXPECT_EQ((*simulator)->counters().live_handles, 0);
}

// --gpu-matmul=cublas without a working cuBLAS is a start-up error that does not claim the GPU
// is missing.
TEST(SimulatedGpuTest, AFailingCublasIsAClearError) {
  driver::Compilation compilation;
  ASSERT_TRUE(
      driver::CompileSource("p.noma", kTinyProgram, driver::Stage::kDifferentiate, compilation));
  absl::StatusOr<std::unique_ptr<gpu::Simulator>> simulator = gpu::Simulator::Create({});
  ASSERT_TRUE(simulator.ok()) << simulator.status();
  gpu::BlasApi blas = (*simulator)->blas();
  blas.create = [](void**) { return 3; };  // CUBLAS_STATUS_ALLOC_FAILED
  gpu::GpuRunOptions gpu_options;
  gpu_options.cublas = true;
  Outcome outcome = RunOnGpu(compilation, QuietOptions(), gpu_options, (*simulator)->api(), &blas,
                             Scratch("badblas"));
  EXPECT_EQ(outcome.code, 1);
  EXPECT_NE(outcome.err.find("error: this program cannot start on the GPU: cublasCreate_v2 failed"),
            std::string::npos)
      << outcome.err;
}

}  // namespace
}  // namespace noma

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) noma::programs.push_back(argv[i]);
  return RUN_ALL_TESTS();
}
