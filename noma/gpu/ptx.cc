#include "noma/gpu/ptx.h"

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/IntrinsicsNVPTX.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/IRReader/IRReader.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "noma/runtime/tensor.h"

extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
void LLVMInitializeNVPTXAsmPrinter();
}

namespace noma::gpu {
namespace {

using runtime::BinaryKernel;
using runtime::UnaryKernel;

constexpr char kTriple[] = "nvptx64-nvidia-cuda";

void InitializeNvptx() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

// Builds the per-element code of one chain.
class KernelBuilder {
 public:
  KernelBuilder(llvm::Module& module, llvm::IRBuilder<>& b) : module_(module), b_(b) {}

  llvm::Value* Libdevice(const char* name, std::vector<llvm::Value*> args) {
    std::vector<llvm::Type*> types(args.size(), b_.getDoubleTy());
    auto callee =
        module_.getOrInsertFunction(name, llvm::FunctionType::get(b_.getDoubleTy(), types, false));
    return b_.CreateCall(callee, args);
  }

  llvm::Value* Bool(llvm::Value* bit) { return b_.CreateUIToFP(bit, b_.getDoubleTy()); }
  llvm::Value* Zero() { return llvm::ConstantFP::get(b_.getDoubleTy(), 0.0); }
  llvm::Value* One() { return llvm::ConstantFP::get(b_.getDoubleTy(), 1.0); }

  // The integer casts: NaN stays NaN, saturate, truncate toward zero, never -0.
  llvm::Value* IntegerCast(llvm::Value* x, double low, double high) {
    llvm::Value* clamped =
        b_.CreateSelect(b_.CreateFCmpOLT(x, llvm::ConstantFP::get(b_.getDoubleTy(), low)),
                        llvm::ConstantFP::get(b_.getDoubleTy(), low), x);
    clamped =
        b_.CreateSelect(b_.CreateFCmpOGT(clamped, llvm::ConstantFP::get(b_.getDoubleTy(), high)),
                        llvm::ConstantFP::get(b_.getDoubleTy(), high), clamped);
    llvm::Value* truncated = b_.CreateFAdd(Libdevice("__nv_trunc", {clamped}), Zero());
    return b_.CreateSelect(b_.CreateFCmpUNO(x, x), x, truncated);
  }

  absl::StatusOr<llvm::Value*> Unary(int32_t kernel, llvm::Value* x) {
    switch (static_cast<UnaryKernel>(kernel)) {
      case UnaryKernel::kNeg:
        return b_.CreateFNeg(x);
      case UnaryKernel::kNot:
        return Bool(b_.CreateFCmpOEQ(x, Zero()));
      case UnaryKernel::kSigmoid: {
        // Never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
        llvm::Value* e = Libdevice("__nv_exp", {b_.CreateFNeg(Libdevice("__nv_fabs", {x}))});
        llvm::Value* positive = b_.CreateFDiv(One(), b_.CreateFAdd(One(), e));
        llvm::Value* negative = b_.CreateFDiv(e, b_.CreateFAdd(One(), e));
        return b_.CreateSelect(b_.CreateFCmpOGE(x, Zero()), positive, negative);
      }
      case UnaryKernel::kRelu:
        return b_.CreateSelect(b_.CreateFCmpOGT(x, Zero()), x, Zero());
      case UnaryKernel::kTanh:
        return Libdevice("__nv_tanh", {x});
      case UnaryKernel::kExp:
        return Libdevice("__nv_exp", {x});
      case UnaryKernel::kLog:
        return Libdevice("__nv_log", {x});
      case UnaryKernel::kSqrt:
        return Libdevice("__nv_sqrt", {x});
      case UnaryKernel::kSin:
        return Libdevice("__nv_sin", {x});
      case UnaryKernel::kCos:
        return Libdevice("__nv_cos", {x});
      case UnaryKernel::kTan:
        return Libdevice("__nv_tan", {x});
      case UnaryKernel::kAbs:
        return Libdevice("__nv_fabs", {x});
      case UnaryKernel::kFloor:
        return Libdevice("__nv_floor", {x});
      case UnaryKernel::kCeil:
        return Libdevice("__nv_ceil", {x});
      case UnaryKernel::kCastF32:
        return b_.CreateFPExt(b_.CreateFPTrunc(x, b_.getFloatTy()), b_.getDoubleTy());
      case UnaryKernel::kCastI32:
        return IntegerCast(x, -2147483648.0, 2147483647.0);
      case UnaryKernel::kCastI64:
        return IntegerCast(x, -9223372036854775808.0, 9223372036854775807.0);
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown unary kernel ", kernel));
  }

  absl::StatusOr<llvm::Value*> Binary(int32_t kernel, llvm::Value* a, llvm::Value* c) {
    switch (static_cast<BinaryKernel>(kernel)) {
      case BinaryKernel::kAdd:
        return b_.CreateFAdd(a, c);
      case BinaryKernel::kSub:
        return b_.CreateFSub(a, c);
      case BinaryKernel::kMul:
        return b_.CreateFMul(a, c);
      case BinaryKernel::kDiv:
        return b_.CreateFDiv(a, c);
      case BinaryKernel::kMod:
        return Libdevice("__nv_fmod", {a, c});
      case BinaryKernel::kPow:
        return Libdevice("__nv_pow", {a, c});
      case BinaryKernel::kEq:
        return Bool(b_.CreateFCmpOEQ(a, c));
      case BinaryKernel::kNe:
        return Bool(b_.CreateFCmpUNE(a, c));
      case BinaryKernel::kLt:
        return Bool(b_.CreateFCmpOLT(a, c));
      case BinaryKernel::kGt:
        return Bool(b_.CreateFCmpOGT(a, c));
      case BinaryKernel::kLe:
        return Bool(b_.CreateFCmpOLE(a, c));
      case BinaryKernel::kGe:
        return Bool(b_.CreateFCmpOGE(a, c));
      case BinaryKernel::kMin:  // The first operand on ties and when the second is NaN.
        return b_.CreateSelect(b_.CreateFCmpOLT(c, a), c, a);
      case BinaryKernel::kMax:
        return b_.CreateSelect(b_.CreateFCmpOGT(c, a), c, a);
      case BinaryKernel::kAnd:  // Truthy: != 0 (NaN is true).
        return Bool(b_.CreateAnd(b_.CreateFCmpUNE(a, Zero()), b_.CreateFCmpUNE(c, Zero())));
      case BinaryKernel::kOr:
        return Bool(b_.CreateOr(b_.CreateFCmpUNE(a, Zero()), b_.CreateFCmpUNE(c, Zero())));
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown binary kernel ", kernel));
  }

 private:
  llvm::Module& module_;
  llvm::IRBuilder<>& b_;
};

absl::Status BuildKernel(llvm::Module& module, const std::vector<int32_t>& program,
                         int32_t leaf_count, const std::string& name) {
  llvm::LLVMContext& context = module.getContext();
  llvm::IRBuilder<> b(context);
  llvm::Type* i64 = b.getInt64Ty();
  llvm::Type* f64 = b.getDoubleTy();
  llvm::Type* ptr = llvm::PointerType::get(context, 1);  // Global memory.
  std::vector<llvm::Type*> params = {ptr, i64, i64};
  for (int32_t l = 0; l < leaf_count; ++l) {
    params.push_back(ptr);
    params.push_back(i64);
    params.push_back(i64);
  }
  auto* function = llvm::Function::Create(llvm::FunctionType::get(b.getVoidTy(), params, false),
                                          llvm::GlobalValue::ExternalLinkage, name, module);
  function->setCallingConv(llvm::CallingConv::PTX_Kernel);
  module.getOrInsertNamedMetadata("nvvm.annotations")
      ->addOperand(llvm::MDNode::get(
          context, {llvm::ValueAsMetadata::get(function), llvm::MDString::get(context, "kernel"),
                    llvm::ValueAsMetadata::get(b.getInt32(1))}));
  auto* entry = llvm::BasicBlock::Create(context, "entry", function);
  auto* body = llvm::BasicBlock::Create(context, "body", function);
  auto* done = llvm::BasicBlock::Create(context, "done", function);
  b.SetInsertPoint(entry);
  auto special = [&](llvm::Intrinsic::ID id) {
    return b.CreateZExt(b.CreateIntrinsic(b.getInt32Ty(), id, {}), i64);
  };
  llvm::Value* index = b.CreateAdd(b.CreateMul(special(llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_x),
                                               special(llvm::Intrinsic::nvvm_read_ptx_sreg_ntid_x)),
                                   special(llvm::Intrinsic::nvvm_read_ptx_sreg_tid_x));
  llvm::Value* rows = function->getArg(1);
  llvm::Value* cols = function->getArg(2);
  b.CreateCondBr(b.CreateICmpULT(index, b.CreateMul(rows, cols)), body, done);
  b.SetInsertPoint(body);
  llvm::Value* row = b.CreateUDiv(index, cols);
  llvm::Value* col = b.CreateSub(index, b.CreateMul(row, cols));
  std::vector<llvm::Value*> leaves;
  for (int32_t l = 0; l < leaf_count; ++l) {
    llvm::Value* offset = b.CreateAdd(b.CreateMul(row, function->getArg(4 + 3 * l)),
                                      b.CreateMul(col, function->getArg(5 + 3 * l)));
    leaves.push_back(b.CreateLoad(f64, b.CreateGEP(f64, function->getArg(3 + 3 * l), offset)));
  }
  KernelBuilder kernels(module, b);
  std::vector<llvm::Value*> nodes;
  auto operand = [&](int32_t ref) -> absl::StatusOr<llvm::Value*> {
    if (ref >= 0 && ref < leaf_count) return leaves[ref];
    if (ref < 0 && -1 - ref < static_cast<int32_t>(nodes.size())) return nodes[-1 - ref];
    return absl::InvalidArgumentError(absl::StrCat("bad operand ", ref, " in a fused chain"));
  };
  if (program.empty() || program.size() % 4 != 0) {
    return absl::InvalidArgumentError("empty or malformed fused chain");
  }
  for (size_t k = 0; k < program.size(); k += 4) {
    absl::StatusOr<llvm::Value*> a = operand(program[k + 2]);
    if (!a.ok()) return a.status();
    absl::StatusOr<llvm::Value*> value;
    if (program[k] == 1) {
      value = kernels.Unary(program[k + 1], *a);
    } else {
      absl::StatusOr<llvm::Value*> c = operand(program[k + 3]);
      if (!c.ok()) return c.status();
      value = kernels.Binary(program[k + 1], *a, *c);
    }
    if (!value.ok()) return value.status();
    nodes.push_back(*value);
  }
  b.CreateStore(nodes.back(), b.CreateGEP(f64, function->getArg(0), index));
  b.CreateBr(done);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ElementwiseKernelPtx(const std::vector<int32_t>& program,
                                                 int32_t leaf_count, const std::string& name,
                                                 const std::string& sm,
                                                 const std::string& libdevice) {
  return ChainsPtx({ChainKernel{program, leaf_count, name}}, sm, libdevice);
}

std::string LibdevicePath(const std::string& cuda_prefix) {
  return cuda_prefix + "/nvvm/libdevice/libdevice.10.bc";
}

absl::StatusOr<std::string> ChainsPtx(const std::vector<ChainKernel>& chains, const std::string& sm,
                                      const std::string& libdevice) {
  InitializeNvptx();
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(kTriple, error);
  if (target == nullptr) return absl::FailedPreconditionError("LLVM has no NVPTX target: " + error);
  std::unique_ptr<llvm::TargetMachine> machine(
      target->createTargetMachine(kTriple, sm, "+ptx80", llvm::TargetOptions(), std::nullopt,
                                  std::nullopt, llvm::CodeGenOptLevel::Default));
  if (machine == nullptr) return absl::InvalidArgumentError("unknown GPU architecture " + sm);

  llvm::LLVMContext context;
  auto module = std::make_unique<llvm::Module>("noma_kernels", context);
  module->setTargetTriple(kTriple);
  module->setDataLayout(machine->createDataLayout());
  std::set<std::string> kernels;
  for (const ChainKernel& chain : chains) {
    if (absl::Status built = BuildKernel(*module, chain.program, chain.leaf_count, chain.name);
        !built.ok()) {
      return built;
    }
    kernels.insert(chain.name);
  }
  llvm::SMDiagnostic diagnostic;
  std::unique_ptr<llvm::Module> math = llvm::parseIRFile(libdevice, diagnostic, context);
  if (math == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot read libdevice '", libdevice, "'"));
  }
  math->setTargetTriple(kTriple);
  math->setDataLayout(module->getDataLayout());
  if (llvm::Linker::linkModules(*module, std::move(math), llvm::Linker::LinkOnlyNeeded)) {
    return absl::InternalError("cannot link libdevice");
  }
  for (llvm::Function& function : *module) {
    if (!function.isDeclaration() && !kernels.count(function.getName().str())) {
      function.setLinkage(llvm::GlobalValue::InternalLinkage);
    }
  }
  std::string problems;
  llvm::raw_string_ostream problem_stream(problems);
  if (llvm::verifyModule(*module, &problem_stream)) {
    return absl::InternalError("generated invalid NVPTX IR: " + problem_stream.str());
  }
  // The standard pipeline with the NVPTX callbacks (NVVMReflect resolves libdevice's queries).
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(machine.get());
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(*module, modules);

  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream out(buffer);
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, out, nullptr, llvm::CodeGenFileType::AssemblyFile)) {
    return absl::InternalError("the NVPTX target cannot emit PTX");
  }
  passes.run(*module);
  return std::string(buffer.begin(), buffer.end());
}

}  // namespace noma::gpu
