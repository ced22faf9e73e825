#include "noma/gpu/ptx.h"

#include <functional>
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
#include "noma/codegen/codegen.h"
#include "noma/codegen/elementwise_ir.h"
#include "noma/gpu/kernel_names.h"
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

// libdevice's functions as the math primitives of the shared elementwise emitter
// (codegen/elementwise_ir.h): every primitive, so every kernel runs inline on the GPU.
class LibdeviceMath : public codegen::MathPrimitives {
 public:
  explicit LibdeviceMath(llvm::Module& module) : module_(module) {}

  bool Has(const std::string&) const override { return true; }

  llvm::Value* Call(llvm::IRBuilder<>& b, const std::string& name,
                    llvm::ArrayRef<llvm::Value*> args) override {
    std::vector<llvm::Type*> types(args.size(), b.getDoubleTy());
    auto callee = module_.getOrInsertFunction(
        "__nv_" + name, llvm::FunctionType::get(b.getDoubleTy(), types, false));
    return b.CreateCall(callee, args);
  }

 private:
  llvm::Module& module_;
};

// One element of a runtime kernel (arity 1: UnaryKernel, 2: BinaryKernel).
absl::StatusOr<llvm::Value*> EmitKernel(llvm::IRBuilder<>& b, LibdeviceMath& math, int32_t arity,
                                        int32_t kernel, llvm::Value* x, llvm::Value* y) {
  if (arity == 1 && kernel >= 0 && kernel < runtime::kUnaryKernelCount) {
    return codegen::EmitUnaryKernel(b, math, static_cast<UnaryKernel>(kernel), x);
  }
  if (arity == 2 && kernel >= 0 && kernel < runtime::kBinaryKernelCount) {
    return codegen::EmitBinaryKernel(b, math, static_cast<BinaryKernel>(kernel), x, y);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown kernel ", kernel, " of arity ", arity));
}

// The work of one thread: emitted at the builder's insertion point, which it may move.
using ThreadBody = std::function<absl::Status(
    llvm::IRBuilder<>& b, const std::vector<llvm::Value*>& args, llvm::Value* index)>;
using ThreadCount =
    std::function<llvm::Value*(llvm::IRBuilder<>& b, const std::vector<llvm::Value*>& args)>;

// Kernel `name` over `params`: threads [0, count(args)) each run `body`. On NVPTX a kernel
// entry point with one thread per index; on the host `void name(void** params, i64 begin,
// i64 end)`, a loop over the indices [begin, end) of one launch.
absl::Status DefineKernel(llvm::Module& module, KernelTarget target, const std::string& name,
                          const std::vector<llvm::Type*>& params, const ThreadCount& count,
                          const ThreadBody& body) {
  llvm::LLVMContext& context = module.getContext();
  llvm::IRBuilder<> b(context);
  llvm::Type* i64 = b.getInt64Ty();
  std::vector<llvm::Value*> args;
  llvm::Function* function;
  llvm::Value* index;
  llvm::BasicBlock* work = nullptr;
  llvm::BasicBlock* next = nullptr;  // Where a thread goes when done.
  llvm::PHINode* loop_index = nullptr;
  if (target == KernelTarget::kNvptx) {
    function = llvm::Function::Create(llvm::FunctionType::get(b.getVoidTy(), params, false),
                                      llvm::GlobalValue::ExternalLinkage, name, module);
    function->setCallingConv(llvm::CallingConv::PTX_Kernel);
    module.getOrInsertNamedMetadata("nvvm.annotations")
        ->addOperand(llvm::MDNode::get(
            context, {llvm::ValueAsMetadata::get(function), llvm::MDString::get(context, "kernel"),
                      llvm::ValueAsMetadata::get(b.getInt32(1))}));
    b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", function));
    for (llvm::Argument& arg : function->args()) args.push_back(&arg);
    auto special = [&](llvm::Intrinsic::ID id) {
      return b.CreateZExt(b.CreateIntrinsic(b.getInt32Ty(), id, {}), i64);
    };
    index = b.CreateAdd(b.CreateMul(special(llvm::Intrinsic::nvvm_read_ptx_sreg_ctaid_x),
                                    special(llvm::Intrinsic::nvvm_read_ptx_sreg_ntid_x)),
                        special(llvm::Intrinsic::nvvm_read_ptx_sreg_tid_x));
    work = llvm::BasicBlock::Create(context, "work", function);
    next = llvm::BasicBlock::Create(context, "done", function);
    b.CreateCondBr(b.CreateICmpULT(index, count(b, args)), work, next);
    b.SetInsertPoint(next);
    b.CreateRetVoid();
  } else {
    llvm::Type* ptr = b.getPtrTy();
    function =
        llvm::Function::Create(llvm::FunctionType::get(b.getVoidTy(), {ptr, i64, i64}, false),
                               llvm::GlobalValue::ExternalLinkage, name, module);
    b.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", function));
    for (size_t p = 0; p < params.size(); ++p) {
      llvm::Value* slot = b.CreateLoad(ptr, b.CreateConstGEP1_64(ptr, function->getArg(0), p));
      args.push_back(b.CreateLoad(params[p], slot));
    }
    llvm::Value* threads = count(b, args);
    llvm::BasicBlock* entry = b.GetInsertBlock();
    auto* head = llvm::BasicBlock::Create(context, "head", function);
    auto* check = llvm::BasicBlock::Create(context, "check", function);
    work = llvm::BasicBlock::Create(context, "work", function);
    next = llvm::BasicBlock::Create(context, "next", function);
    auto* exit = llvm::BasicBlock::Create(context, "exit", function);
    b.CreateBr(head);
    b.SetInsertPoint(head);
    loop_index = b.CreatePHI(i64, 2);
    loop_index->addIncoming(function->getArg(1), entry);
    b.CreateCondBr(b.CreateICmpULT(loop_index, function->getArg(2)), check, exit);
    b.SetInsertPoint(check);
    b.CreateCondBr(b.CreateICmpULT(loop_index, threads), work, next);
    b.SetInsertPoint(next);
    loop_index->addIncoming(b.CreateAdd(loop_index, b.getInt64(1)), next);
    b.CreateBr(head);
    b.SetInsertPoint(exit);
    b.CreateRetVoid();
    index = loop_index;
  }
  b.SetInsertPoint(work);
  if (absl::Status built = body(b, args, index); !built.ok()) return built;
  b.CreateBr(next);
  return absl::OkStatus();
}

// for (i = 0; i < n; ++i) accs = step(accs, i), accs starting at 0.0; returns the final accs.
// Emitted at b's position.
std::vector<llvm::Value*> SumLoop(
    llvm::IRBuilder<>& b, llvm::Value* n, size_t count,
    const std::function<std::vector<llvm::Value*>(const std::vector<llvm::Value*>& accs,
                                                  llvm::Value* i)>& step) {
  llvm::Function* function = b.GetInsertBlock()->getParent();
  llvm::LLVMContext& context = b.getContext();
  llvm::BasicBlock* before = b.GetInsertBlock();
  auto* head = llvm::BasicBlock::Create(context, "sum_head", function);
  auto* body = llvm::BasicBlock::Create(context, "sum_body", function);
  auto* done = llvm::BasicBlock::Create(context, "sum_done", function);
  llvm::Value* zero = llvm::ConstantFP::get(b.getDoubleTy(), 0.0);
  b.CreateBr(head);
  b.SetInsertPoint(head);
  llvm::PHINode* i = b.CreatePHI(b.getInt64Ty(), 2);
  i->addIncoming(b.getInt64(0), before);
  std::vector<llvm::PHINode*> phis;
  std::vector<llvm::Value*> accs;
  for (size_t a = 0; a < count; ++a) {
    phis.push_back(b.CreatePHI(b.getDoubleTy(), 2));
    phis.back()->addIncoming(zero, before);
    accs.push_back(phis.back());
  }
  b.CreateCondBr(b.CreateICmpULT(i, n), body, done);
  b.SetInsertPoint(body);
  std::vector<llvm::Value*> next = step(accs, i);
  i->addIncoming(b.CreateAdd(i, b.getInt64(1)), b.GetInsertBlock());
  for (size_t a = 0; a < count; ++a) phis[a]->addIncoming(next[a], b.GetInsertBlock());
  b.CreateBr(head);
  b.SetInsertPoint(done);
  return accs;
}

// Each thread of noma_matmul computes a kTile x kTile block of outputs, so every loaded
// element of a and b serves kTile multiply-adds; each output still sums its products in p order.
constexpr int kTile = static_cast<int>(kMatmulTile);

// The elementwise kernel of one chain (see ptx.h for its parameters).
absl::Status BuildChainKernel(llvm::Module& module, KernelTarget target, llvm::Type* ptr,
                              const ChainKernel& chain) {
  const std::vector<int32_t>& program = chain.program;
  int32_t leaf_count = chain.leaf_count;
  if (program.empty() || program.size() % 4 != 0) {
    return absl::InvalidArgumentError("empty or malformed fused chain");
  }
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  llvm::Type* f64 = llvm::Type::getDoubleTy(context);
  std::vector<llvm::Type*> params = {ptr, i64, i64};
  for (int32_t l = 0; l < leaf_count; ++l) {
    params.insert(params.end(), {ptr, i64, i64, f64});
  }
  auto count = [](llvm::IRBuilder<>& b, const std::vector<llvm::Value*>& args) {
    return b.CreateMul(args[1], args[2]);
  };
  auto body = [&](llvm::IRBuilder<>& b, const std::vector<llvm::Value*>& args,
                  llvm::Value* index) -> absl::Status {
    llvm::Value* cols = args[2];
    llvm::Value* row = b.CreateUDiv(index, cols);
    llvm::Value* col = b.CreateSub(index, b.CreateMul(row, cols));
    llvm::Function* function = b.GetInsertBlock()->getParent();
    std::vector<llvm::Value*> leaves;
    for (int32_t l = 0; l < leaf_count; ++l) {
      llvm::Value* base = args[3 + 4 * l];
      llvm::BasicBlock* before = b.GetInsertBlock();
      auto* load = llvm::BasicBlock::Create(context, "load", function);
      auto* merge = llvm::BasicBlock::Create(context, "leaf", function);
      b.CreateCondBr(b.CreateIsNull(base), merge, load);
      b.SetInsertPoint(load);
      llvm::Value* offset =
          b.CreateAdd(b.CreateMul(row, args[4 + 4 * l]), b.CreateMul(col, args[5 + 4 * l]));
      llvm::Value* loaded = b.CreateLoad(f64, b.CreateGEP(f64, base, offset));
      b.CreateBr(merge);
      b.SetInsertPoint(merge);
      llvm::PHINode* value = b.CreatePHI(f64, 2);
      value->addIncoming(args[6 + 4 * l], before);
      value->addIncoming(loaded, load);
      leaves.push_back(value);
    }
    LibdeviceMath math(module);
    std::vector<llvm::Value*> nodes;
    auto operand = [&](int32_t ref) -> absl::StatusOr<llvm::Value*> {
      if (ref >= 0 && ref < leaf_count) return leaves[ref];
      if (ref < 0 && -1 - ref < static_cast<int32_t>(nodes.size())) return nodes[-1 - ref];
      return absl::InvalidArgumentError(absl::StrCat("bad operand ", ref, " in a fused chain"));
    };
    for (size_t k = 0; k < program.size(); k += 4) {
      absl::StatusOr<llvm::Value*> a = operand(program[k + 2]);
      if (!a.ok()) return a.status();
      absl::StatusOr<llvm::Value*> c = program[k] == 1 ? *a : operand(program[k + 3]);
      if (!c.ok()) return c.status();
      absl::StatusOr<llvm::Value*> value = EmitKernel(b, math, program[k], program[k + 1], *a, *c);
      if (!value.ok()) return value.status();
      nodes.push_back(*value);
    }
    b.CreateStore(nodes.back(), b.CreateGEP(f64, args[0], index));
    return absl::OkStatus();
  };
  return DefineKernel(module, target, ChainKernelName(leaf_count, program), params, count, body);
}

// noma_matmul, noma_transpose and noma_reduce (see ptx.h).
absl::Status BuildStandardKernels(llvm::Module& module, KernelTarget target, llvm::Type* ptr) {
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  llvm::Type* f64 = llvm::Type::getDoubleTy(context);
  using Args = std::vector<llvm::Value*>;
  auto element = [f64](llvm::IRBuilder<>& b, llvm::Value* base, llvm::Value* offset) {
    return b.CreateLoad(f64, b.CreateGEP(f64, base, offset));
  };
  // out[i, j] = fma chain over p of a[i, p] b[p, j], p in order, from 0; one kTile x kTile
  // block per thread. Rows and
  // columns past the edge load a clamped (valid) element and store nothing.
  auto tiles = [](llvm::IRBuilder<>& b, llvm::Value* extent) {
    return b.CreateUDiv(b.CreateAdd(extent, b.getInt64(kTile - 1)), b.getInt64(kTile));
  };
  absl::Status matmul = DefineKernel(
      module, target, kMatmulKernel, {ptr, ptr, ptr, i64, i64, i64},
      [&](llvm::IRBuilder<>& b, const Args& args) {
        return b.CreateMul(tiles(b, args[3]), tiles(b, args[5]));
      },
      [&](llvm::IRBuilder<>& b, const Args& args, llvm::Value* index) {
        llvm::Value* n = args[3];
        llvm::Value* k = args[4];
        llvm::Value* m = args[5];
        llvm::Value* column_tiles = tiles(b, m);
        llvm::Value* tile_row = b.CreateUDiv(index, column_tiles);
        llvm::Value* tile_col = b.CreateSub(index, b.CreateMul(tile_row, column_tiles));
        auto clamp = [&](llvm::Value* v, llvm::Value* extent) {
          llvm::Value* last = b.CreateSub(extent, b.getInt64(1));
          return b.CreateSelect(b.CreateICmpULT(v, extent), v, last);
        };
        std::vector<llvm::Value*> rows, cols, row_starts;
        for (int t = 0; t < kTile; ++t) {
          rows.push_back(b.CreateAdd(b.CreateMul(tile_row, b.getInt64(kTile)), b.getInt64(t)));
          cols.push_back(b.CreateAdd(b.CreateMul(tile_col, b.getInt64(kTile)), b.getInt64(t)));
          row_starts.push_back(b.CreateMul(clamp(rows.back(), n), k));
        }
        std::vector<llvm::Value*> clamped_cols;
        for (int t = 0; t < kTile; ++t) clamped_cols.push_back(clamp(cols[t], m));
        std::vector<llvm::Value*> totals = SumLoop(
            b, k, kTile * kTile, [&](const std::vector<llvm::Value*>& accs, llvm::Value* p) {
              std::vector<llvm::Value*> as, bs, next;
              llvm::Value* b_row = b.CreateMul(p, m);
              for (int t = 0; t < kTile; ++t) {
                as.push_back(element(b, args[1], b.CreateAdd(row_starts[t], p)));
                bs.push_back(element(b, args[2], b.CreateAdd(b_row, clamped_cols[t])));
              }
              for (int r = 0; r < kTile; ++r) {
                for (int c = 0; c < kTile; ++c) {
                  // One fused multiply-add per term (fma.rn.f64), in p order: the CPU
                  // kernels' chain (docs/numerics.md), so results match bit for bit.
                  next.push_back(b.CreateIntrinsic(llvm::Intrinsic::fma, {f64},
                                                   {as[r], bs[c], accs[r * kTile + c]}));
                }
              }
              return next;
            });
        llvm::Function* function = b.GetInsertBlock()->getParent();
        for (int r = 0; r < kTile; ++r) {
          for (int c = 0; c < kTile; ++c) {
            auto* store = llvm::BasicBlock::Create(context, "store", function);
            auto* after = llvm::BasicBlock::Create(context, "stored", function);
            b.CreateCondBr(b.CreateAnd(b.CreateICmpULT(rows[r], n), b.CreateICmpULT(cols[c], m)),
                           store, after);
            b.SetInsertPoint(store);
            llvm::Value* offset = b.CreateAdd(b.CreateMul(rows[r], m), cols[c]);
            b.CreateStore(totals[r * kTile + c], b.CreateGEP(f64, args[0], offset));
            b.CreateBr(after);
            b.SetInsertPoint(after);
          }
        }
        return absl::OkStatus();
      });
  if (!matmul.ok()) return matmul;
  // out[c, r] = a[r, c]: one thread per element of a (reads coalesce).
  absl::Status transpose = DefineKernel(
      module, target, kTransposeKernel, {ptr, ptr, i64, i64},
      [](llvm::IRBuilder<>& b, const Args& args) { return b.CreateMul(args[2], args[3]); },
      [&](llvm::IRBuilder<>& b, const Args& args, llvm::Value* index) {
        llvm::Value* r = b.CreateUDiv(index, args[3]);
        llvm::Value* c = b.CreateSub(index, b.CreateMul(r, args[3]));
        b.CreateStore(element(b, args[1], index),
                      b.CreateGEP(f64, args[0], b.CreateAdd(b.CreateMul(c, args[2]), r)));
        return absl::OkStatus();
      });
  if (!transpose.ok()) return transpose;
  // out[o, j] = (Σ_k x[o, k, j]) / divisor, k in order.
  return DefineKernel(
      module, target, kReduceKernel, {ptr, ptr, i64, i64, i64, f64},
      [](llvm::IRBuilder<>& b, const Args& args) { return b.CreateMul(args[2], args[4]); },
      [&](llvm::IRBuilder<>& b, const Args& args, llvm::Value* index) {
        llvm::Value* n = args[3];
        llvm::Value* inner = args[4];
        llvm::Value* o = b.CreateUDiv(index, inner);
        llvm::Value* j = b.CreateSub(index, b.CreateMul(o, inner));
        llvm::Value* total =
            SumLoop(b, n, 1, [&](const std::vector<llvm::Value*>& acc, llvm::Value* k) {
              llvm::Value* offset =
                  b.CreateAdd(b.CreateMul(b.CreateAdd(b.CreateMul(o, n), k), inner), j);
              return std::vector<llvm::Value*>{b.CreateFAdd(acc[0], element(b, args[1], offset))};
            })[0];
        b.CreateStore(b.CreateFDiv(total, args[5]), b.CreateGEP(f64, args[0], index));
        return absl::OkStatus();
      });
}

}  // namespace

std::vector<ChainKernel> StandardChains() {
  std::vector<ChainKernel> chains;
  for (int32_t k = 0; k < runtime::kUnaryKernelCount; ++k) {
    chains.push_back({{1, k, 0, 0}, 1});
  }
  for (int32_t k = 0; k < runtime::kBinaryKernelCount; ++k) {
    chains.push_back({{2, k, 0, 1}, 2});
  }
  return chains;
}

std::vector<ChainKernel> ProgramChains(const graph::Module& module) {
  std::vector<ChainKernel> chains;
  for (const graph::Function& fn : module.functions) {
    for (const codegen::FusionGroup& group : codegen::PlanFusionGroups(fn)) {
      // A lone operation runs as the runtime's single-operation kernel (StandardChains).
      if (group.members.size() < 2) continue;
      chains.push_back(
          {codegen::FusionProgram(fn, group), static_cast<int32_t>(group.leaves.size())});
    }
  }
  return chains;
}

absl::StatusOr<std::unique_ptr<llvm::Module>> BuildKernelModule(
    llvm::LLVMContext& context, const std::vector<ChainKernel>& chains, KernelTarget target) {
  auto module = std::make_unique<llvm::Module>("noma_kernels", context);
  // Global memory on the GPU; the only address space on the host.
  llvm::Type* ptr = llvm::PointerType::get(context, target == KernelTarget::kNvptx ? 1 : 0);
  if (absl::Status built = BuildStandardKernels(*module, target, ptr); !built.ok()) return built;
  std::set<std::string> names;
  std::vector<ChainKernel> all = StandardChains();
  all.insert(all.end(), chains.begin(), chains.end());
  for (const ChainKernel& chain : all) {
    if (!names.insert(ChainKernelName(chain.leaf_count, chain.program)).second) continue;
    if (absl::Status built = BuildChainKernel(*module, target, ptr, chain); !built.ok()) {
      return built;
    }
  }
  std::string problems;
  llvm::raw_string_ostream problem_stream(problems);
  if (llvm::verifyModule(*module, &problem_stream)) {
    return absl::InternalError("generated invalid kernel IR: " + problem_stream.str());
  }
  return module;
}

std::string LibdevicePath(const std::string& cuda_prefix) {
  return cuda_prefix + "/nvvm/libdevice/libdevice.10.bc";
}

absl::StatusOr<std::string> KernelsPtx(const std::vector<ChainKernel>& chains,
                                       const std::string& sm, const std::string& libdevice) {
  InitializeNvptx();
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(kTriple, error);
  if (target == nullptr) return absl::FailedPreconditionError("LLVM has no NVPTX target: " + error);
  std::unique_ptr<llvm::TargetMachine> machine(
      // The oldest PTX ISA each architecture allows, so older drivers load it (7.0: CUDA 11.0).
      target->createTargetMachine(kTriple, sm, sm == "sm_90" ? "+ptx78" : "+ptx70",
                                  llvm::TargetOptions(), std::nullopt, std::nullopt,
                                  llvm::CodeGenOptLevel::Default));
  if (machine == nullptr) return absl::InvalidArgumentError("unknown GPU architecture " + sm);

  llvm::LLVMContext context;
  absl::StatusOr<std::unique_ptr<llvm::Module>> built =
      BuildKernelModule(context, chains, KernelTarget::kNvptx);
  if (!built.ok()) return built.status();
  std::unique_ptr<llvm::Module> module = *std::move(built);
  module->setTargetTriple(kTriple);
  module->setDataLayout(machine->createDataLayout());
  std::set<std::string> kernels;
  for (llvm::Function& function : *module) {
    if (!function.isDeclaration()) kernels.insert(function.getName().str());
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
