#include "noma/codegen/codegen.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "llvm/Support/raw_ostream.h"
#include "noma/autodiff/autodiff.h"
#include "noma/graph/lower.h"
#include "noma/syntax/parser.h"

namespace noma::codegen {
namespace {

struct Program {
  syntax::SourceManager sources;
  syntax::DiagnosticEngine diagnostics;
  graph::Module module;
};

std::unique_ptr<Program> Compile(const std::string& text) {
  auto p = std::make_unique<Program>();
  syntax::FileId file = p->sources.AddBuffer("t.noma", text);
  syntax::Program ast = syntax::Parse(p->sources, file, p->diagnostics);
  p->module = graph::Lower(ast, p->diagnostics);
  autodiff::Differentiate(p->module, p->diagnostics);
  EXPECT_FALSE(p->diagnostics.has_errors()) << p->diagnostics.Render(p->sources);
  return p;
}

std::string IrText(const Program& p, bool with_main) {
  llvm::LLVMContext context;
  auto module = EmitModule(p.module, p.sources, context, with_main);
  EXPECT_TRUE(module.ok()) << module.status();
  if (!module.ok()) return "";
  std::string text;
  llvm::raw_string_ostream stream(text);
  (*module)->print(stream, nullptr);
  return stream.str();
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(CodegenTest, EmitsTheProgramDescriptorAndOptionallyMain) {
  auto p = Compile("fn main() { print(1); }");
  std::string with_main = IrText(*p, true);
  EXPECT_NE(with_main.find("@noma_program = constant"), std::string::npos);
  EXPECT_NE(with_main.find("define i32 @main("), std::string::npos);
  EXPECT_EQ(IrText(*p, false).find("define i32 @main("), std::string::npos);
}

TEST(CodegenTest, ScalarArithmeticIsNative) {
  auto p = Compile("fn main() { let x = 2; let y = x * 3 + 1; print(y); }");
  std::string ir = IrText(*p, false);
  EXPECT_NE(ir.find("fmul double"), std::string::npos);
  EXPECT_NE(ir.find("fadd double"), std::string::npos);
  EXPECT_EQ(Count(ir, "call i32 @noma_p_binary("), 0u);
}

TEST(CodegenTest, FusesAnElementwiseChain) {
  auto p = Compile("fn main() { let t = tensor [[1, 2]]; print(tanh(t * 2 + 1)); }");
  std::string ir = IrText(*p, false);
  // One group of three operations (its table has 4 words per operation), run as a generated
  // loop: the arithmetic inline, tanh (the runtime's bits) as the runtime's block kernel.
  EXPECT_EQ(Count(ir, "call i32 @noma_p_group_begin("), 1u) << ir;
  EXPECT_EQ(Count(ir, "[12 x i32]"), 1u) << ir;
  // Once per instruction-set variant of the loop function (three on x86-64).
#if defined(__x86_64__)
  EXPECT_EQ(Count(ir, "call void @noma_p_unary_block("), 3u) << ir;
#else
  EXPECT_EQ(Count(ir, "call void @noma_p_unary_block("), 1u) << ir;
#endif
  EXPECT_GE(Count(ir, "fmul double"), 1u) << ir;
  EXPECT_GE(Count(ir, "fadd double"), 1u) << ir;
}

TEST(CodegenTest, ArithmeticGroupsAreWhollyInline) {
  // relu, min/max, comparisons and arithmetic are exact: no runtime kernel in the loop.
  auto p = Compile(
      "fn main() { let t = tensor [[1, -2]]; let u = tensor [[3, 4]];\n"
      "  print(relu(t * u - 1) + max(t, u) * (t < u)); }");
  std::string ir = IrText(*p, false);
  EXPECT_EQ(Count(ir, "call i32 @noma_p_group_begin("), 1u) << ir;
  EXPECT_EQ(Count(ir, "_block("), 0u) << ir;
  EXPECT_GE(Count(ir, "fcmp olt double"), 1u) << ir;
}

TEST(CodegenTest, GroupsShareALoopFunctionPerStructureAndInstructionSet) {
  // Two groups of the same structure share one loop function; on x86-64 it dispatches on the
  // runtime's instruction-set level to a baseline, an AVX2 and an AVX-512 variant.
  auto p = Compile(
      "fn main() { let a = tensor [[1, 2]]; let b = tensor [[3, 4]];\n"
      "  print(relu(a * b)); print(relu(b * a)); }");
  std::string ir = IrText(*p, false);
  EXPECT_EQ(Count(ir, "call i32 @noma_p_group_begin("), 2u) << ir;
  EXPECT_EQ(Count(ir, "define internal void @noma_group("), 1u) << ir;
#if defined(__x86_64__)
  EXPECT_EQ(Count(ir, "define internal void @noma_group.base("), 1u) << ir;
  EXPECT_EQ(Count(ir, "define internal void @noma_group.isa"), 2u) << ir;
  EXPECT_NE(ir.find("+avx512f"), std::string::npos) << ir;
#endif
}

TEST(CodegenTest, DoesNotFuseAcrossASideEffect) {
  // The product's single use comes after a print: fusing would move the product (and its
  // possible error) after the print. Each becomes a group of one operation (4 words).
  auto p = Compile(
      "fn main() { let t = tensor [[1, 2]]; let u = t * 2; print(\"x\"); print(tanh(u)); }");
  std::string ir = IrText(*p, false);
  EXPECT_EQ(Count(ir, "call i32 @noma_p_group_begin("), 2u) << ir;
  EXPECT_EQ(Count(ir, "[8 x i32]"), 0u) << ir;
}

TEST(CodegenTest, BackwardMatmulsReadTransposesInPlace) {
  // The gradients of matmul(x, w) are matmul(g, transpose(w)) and matmul(transpose(x), g):
  // both read the transposed operand in place (with the transposes kept as the fallback).
  auto p = Compile(
      "fn main() {\n  let x = tensor [[1, 2], [3, 4]];\n  learn w = tensor [[0.5], [0.5]];\n"
      "  learn v = tensor [[1, 1]];\n"
      "  optimize(w, v) with sgd(lr: 0.01) until loss < 0.1 {\n"
      "    let loss = sum(matmul(matmul(x, w), v));\n    minimize loss;\n  }\n}\n");
  std::string ir = IrText(*p, false);
  EXPECT_GE(Count(ir, "call i32 @noma_p_matmul_transposed("), 2u) << ir;
  // A transpose the program writes itself, used once, is read in place too.
  auto q = Compile("fn main() { let a = tensor [[1, 2]]; print(matmul(transpose(a), a)); }");
  EXPECT_EQ(Count(IrText(*q, false), "call i32 @noma_p_matmul_transposed("), 1u);
  // One used twice is computed once and the matmul reads the copy.
  auto r = Compile(
      "fn main() { let a = tensor [[1, 2]]; let t = transpose(a); print(matmul(t, a) + t[0][0]); "
      "}");
  EXPECT_EQ(Count(IrText(*r, false), "call i32 @noma_p_matmul_transposed("), 0u);
}

TEST(CodegenTest, DoesNotFuseValuesUsedTwice) {
  auto p = Compile("fn main() { let t = tensor [[1, 2]]; let u = t * 2; print(u + u); }");
  std::string ir = IrText(*p, false);
  EXPECT_EQ(Count(ir, "call i32 @noma_p_group_begin("), 2u) << ir;
  EXPECT_EQ(Count(ir, "[8 x i32]"), 0u) << ir;
}

TEST(CodegenTest, JitRunsTheProgram) {
  auto p = Compile(
      "fn f(x) { if x > 1 { return x * f(x - 1); } return 1; }\n"
      "fn main() { let t = tensor [[1, 2], [3, 4]]; print(t * 2 + 1); print(f(5)); }");
  noma_run_options options = {0, int64_t{1} << 30, 0, 0, nullptr};
  testing::internal::CaptureStdout();
  absl::StatusOr<int> code = RunJit(p->module, p->sources, Options{}, options);
  std::string out = testing::internal::GetCapturedStdout();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(out, "[[3, 5], [7, 9]]\n120\n");
}

TEST(CodegenTest, JitReportsRunTimeErrorsWithTheirLocation) {
  auto p = Compile(
      "fn main() {\n  let a = tensor [[1, 2, 3]];\n  let b = tensor [1, 2];\n"
      "  print(\"before\");\n  print(tanh(a + b) * 2);\n  print(\"after\");\n}\n");
  noma_run_options options = {0, int64_t{1} << 30, 0, 0, nullptr};
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  absl::StatusOr<int> code = RunJit(p->module, p->sources, Options{}, options);
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1);
  EXPECT_EQ(out, "before\n");  // Nothing runs after the error.
  EXPECT_NE(err.find("t.noma:5:16: error: cannot broadcast shapes [1, 3] and [2]"),
            std::string::npos)
      << err;
}

TEST(CodegenTest, LibraryExportsEveryFunctionAndNoMain) {
  auto p = Compile("fn predict(w, x) { return matmul(x, w); }\nfn main() { print(1); }");
  llvm::LLVMContext context;
  auto module = EmitLibraryModule(p->module, p->sources, context, "model");
  ASSERT_TRUE(module.ok()) << module.status();
  std::string text;
  llvm::raw_string_ostream stream(text);
  (*module)->print(stream, nullptr);
  EXPECT_NE(text.find("define i32 @model_predict(ptr"), std::string::npos);
  EXPECT_NE(text.find("define i32 @model_main(ptr"), std::string::npos);
  EXPECT_EQ(text.find("define i32 @main("), std::string::npos);
  EXPECT_EQ(text.find("@noma_program ="), std::string::npos);  // Private: libraries combine.
  EXPECT_FALSE(EmitLibraryModule(p->module, p->sources, context, "no-good").ok());
}

TEST(CodegenTest, LibraryHeaderDeclaresTheFunctions) {
  auto p = Compile("fn predict(w, new) { return matmul(new, w); }\nfn main() { print(1); }");
  std::string header = LibraryHeader(p->module, "model", "models/m.noma");
  EXPECT_NE(header.find("namespace model {"), std::string::npos);
  EXPECT_NE(header.find("int32_t model_predict(noma_cell* const* args"), std::string::npos);
  // A parameter named like a C++ keyword is renamed.
  EXPECT_NE(
      header.find("inline absl::StatusOr<Tensor> predict(const Tensor& w, const Tensor& new_)"),
      std::string::npos);
  EXPECT_NE(header.find("from models/m.noma"), std::string::npos);
}

TEST(CodegenTest, RejectsAnUnknownCpu) {
  Options options;
  options.target_cpu = "no-such-cpu";
  EXPECT_EQ(MakeTargetMachine(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CodegenTest, EmitsObjectsAndAssembly) {
  auto p = Compile("fn main() { print(1); }");
  llvm::LLVMContext context;
  auto module = EmitModule(p->module, p->sources, context, true);
  ASSERT_TRUE(module.ok());
  auto machine = MakeTargetMachine(Options{});
  ASSERT_TRUE(machine.ok()) << machine.status();
  OptimizeModule(**module, **machine, Options{});
  auto assembly = EmitOutput(**module, **machine, OutputKind::kAssembly);
  ASSERT_TRUE(assembly.ok());
  EXPECT_NE(assembly->find("main:"), std::string::npos);
  auto object = EmitOutput(**module, **machine, OutputKind::kObject);
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->substr(0, 4),
            "\x7f"
            "ELF");
}

}  // namespace
}  // namespace noma::codegen
