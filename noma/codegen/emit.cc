// IR -> LLVM IR. One LLVM function per NOMA function, `i32 (ptr args, ptr result)`: 0 on
// success, 1 after a run-time error that has already been printed. Every value has a cell
// (noma/runtime/program.h) in the frame; values that type inference proves scalar also live in
// a double alloca (promoted to registers by mem2reg) and use native arithmetic.
#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "noma/codegen/codegen.h"
#include "noma/codegen/elementwise_ir.h"
#include "noma/graph/ir.h"
#include "noma/graph/runtime_kernels.h"
#include "noma/runtime/tensor.h"
#include "noma/syntax/diagnostics.h"

namespace noma::codegen {
namespace {

using graph::Builtin;
using graph::Op;
using graph::OpCode;
using graph::RegionId;
using graph::ValueId;

// graph::Builtin and the program ABI's builtin ids come from one registry (builtins.def).
static_assert(graph::kBuiltinCount == NOMA_P_BUILTIN_COUNT);

runtime::BinaryKernel ToKernel(graph::BinaryOpKind op) { return graph::BinaryKernelOf(op); }
runtime::UnaryKernel ToKernel(graph::UnaryOpKind op) { return graph::UnaryKernelOf(op); }

// The runtime kernel of an elementwise one-argument builtin, or -1.
int UnaryBuiltinKernel(Builtin builtin) {
  runtime::UnaryKernel kernel;
  return graph::UnaryKernelOf(builtin, &kernel) ? static_cast<int>(kernel) : -1;
}

// An elementwise operation's kernel for fusion: {arity, runtime kernel}, or arity 0.
std::pair<int, int> ElementwiseKernel(const Op& op) {
  switch (op.code) {
    case OpCode::kUnary:
      return {1, static_cast<int>(ToKernel(static_cast<graph::UnaryOpKind>(op.sub)))};
    case OpCode::kBinary:
      return {2, static_cast<int>(ToKernel(static_cast<graph::BinaryOpKind>(op.sub)))};
    case OpCode::kBuiltin: {
      auto builtin = static_cast<Builtin>(op.sub);
      int unary = UnaryBuiltinKernel(builtin);
      if (unary >= 0 && op.operands.size() == 1) return {1, unary};
      runtime::BinaryKernel binary;
      if (op.operands.size() == 2 && graph::BinaryKernelOf(builtin, &binary)) {
        return {2, static_cast<int>(binary)};
      }
      return {0, 0};
    }
    case OpCode::kConst:
    case OpCode::kStringConst:
    case OpCode::kTensorLit:
    case OpCode::kLoad:
    case OpCode::kStore:
    case OpCode::kShortCircuit:
    case OpCode::kCall:
    case OpCode::kIndex:
    case OpCode::kYield:
    case OpCode::kIf:
    case OpCode::kWhile:
    case OpCode::kReturn:
    case OpCode::kOptimize:
    case OpCode::kMinimize:
    case OpCode::kAlloc:
    case OpCode::kRealloc:
    case OpCode::kFree:
    case OpCode::kResetOptimizer:
    case OpCode::kLoadCsv:
    case OpCode::kSaveCsv:
    case OpCode::kLoadSafetensors:
    case OpCode::kSaveSafetensors:
    case OpCode::kBatch:
    case OpCode::kTapePush:
    case OpCode::kTapePop:
    case OpCode::kSumToShape:
    case OpCode::kIndexAdjoint:
    case OpCode::kZerosLike:
    case OpCode::kReallocLike:
    case OpCode::kUnreduce:
      return {0, 0};
  }
  return {0, 0};  // Not reached: the switch covers every op.
}

// Functions that may run inside an optimize loop (called from one, directly or not): all of
// their ops get --check-nan checks; elsewhere only ops inside optimize regions do.
std::vector<bool> FunctionsRunInOptimize(const graph::Module& module) {
  std::vector<bool> inside(module.functions.size(), false);
  std::vector<uint32_t> work;
  // Calls in a region; `in_optimize` says whether the region is (inside) an optimize loop.
  auto visit = [&](const graph::Function& fn, auto&& self, RegionId region, bool in_optimize,
                   bool all) -> void {
    for (graph::OpId id : fn.regions[region].ops) {
      const Op& op = fn.ops[id];
      if (op.code == OpCode::kCall && (in_optimize || all) && !inside[op.callee]) {
        inside[op.callee] = true;
        work.push_back(op.callee);
      }
      for (RegionId nested : op.regions) {
        self(fn, self, nested, in_optimize || op.code == OpCode::kOptimize, all);
      }
    }
  };
  for (const graph::Function& fn : module.functions) visit(fn, visit, fn.body, false, false);
  while (!work.empty()) {
    uint32_t f = work.back();
    work.pop_back();
    visit(module.functions[f], visit, module.functions[f].body, true, true);
  }
  return inside;
}

// Module-wide state: runtime declarations, constant strings and the location table.
class ModuleEmitter {
 public:
  ModuleEmitter(const graph::Module& module, const syntax::SourceManager& sources,
                llvm::LLVMContext& context)
      : module_(module), sources_(sources), context_(context) {
    llvm_module_ = std::make_unique<llvm::Module>("noma_program", context);
    i32_ = llvm::Type::getInt32Ty(context);
    i64_ = llvm::Type::getInt64Ty(context);
    f64_ = llvm::Type::getDoubleTy(context);
    ptr_ = llvm::PointerType::get(context, 0);
    cell_ = llvm::StructType::create(context, {i64_, f64_, ptr_}, "noma_cell");
    void_ = llvm::Type::getVoidTy(context);
  }

  const graph::Module& module() const { return module_; }
  llvm::Module& llvm_module() { return *llvm_module_; }
  std::unique_ptr<llvm::Module> TakeModule() { return std::move(llvm_module_); }
  llvm::LLVMContext& context() { return context_; }
  llvm::Type* i32() const { return i32_; }
  llvm::Type* i64() const { return i64_; }
  llvm::Type* f64() const { return f64_; }
  llvm::PointerType* ptr() const { return ptr_; }
  llvm::StructType* cell() const { return cell_; }

  // A runtime function of the program ABI; `ret` nullptr means void.
  llvm::FunctionCallee Runtime(const std::string& name, llvm::Type* ret,
                               std::vector<llvm::Type*> params) {
    auto* type = llvm::FunctionType::get(ret ? ret : void_, params, false);
    return llvm_module_->getOrInsertFunction(name, type);
  }

  // A global variable of the program ABI (noma/runtime/program.h).
  llvm::GlobalVariable* RuntimeGlobal(const char* name, llvm::Type* type) {
    if (llvm::GlobalVariable* global = llvm_module_->getNamedGlobal(name)) return global;
    return new llvm::GlobalVariable(*llvm_module_, type, false, llvm::GlobalValue::ExternalLinkage,
                                    nullptr, name);
  }

  llvm::Constant* String(const std::string& text) {
    auto it = strings_.find(text);
    if (it != strings_.end()) return it->second;
    auto* init = llvm::ConstantDataArray::getString(context_, text, true);
    auto* global = new llvm::GlobalVariable(*llvm_module_, init->getType(), true,
                                            llvm::GlobalValue::PrivateLinkage, init,
                                            absl::StrCat(".str.", strings_.size()));
    global->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    strings_[text] = global;
    return global;
  }

  // The index of a source location in the program's diagnostic table.
  int64_t Location(const syntax::SourceRange& range) {
    syntax::Diagnostic diagnostic;
    diagnostic.range = range;
    diagnostic.message = kMessageMark;
    std::string rendered = syntax::RenderDiagnostic(diagnostic, sources_);
    auto it = location_ids_.find(rendered);
    if (it != location_ids_.end()) return it->second;
    size_t mark = rendered.find(kMessageMark);
    locations_.push_back({rendered.substr(0, mark), rendered.substr(mark + 1)});
    int64_t id = static_cast<int64_t>(locations_.size()) - 1;
    location_ids_[rendered] = id;
    return id;
  }

  // "warning: optimize at FILE:LINE reached max_iterations (" for the interpreter's warning.
  std::string OptimizeWhere(const syntax::SourceRange& range) {
    syntax::LineColumn lc = sources_.Resolve(range.file, range.begin);
    return absl::StrCat("optimize at ", sources_.name(range.file), ":", lc.line);
  }

  llvm::Function* Function(uint32_t index) { return functions_[index]; }

  // The shared loop functions of fused groups, by structure (FunctionEmitter::GroupFunction).
  llvm::Function* GroupFunction(const std::string& key) const {
    auto it = group_functions_.find(key);
    return it == group_functions_.end() ? nullptr : it->second;
  }
  void SetGroupFunction(const std::string& key, llvm::Function* function) {
    group_functions_[key] = function;
  }
  bool RunsInOptimize(uint32_t index) const { return runs_in_optimize_[index]; }

  void DeclareFunctions() {
    runs_in_optimize_ = FunctionsRunInOptimize(module_);
    auto* type = llvm::FunctionType::get(i32_, {ptr_, ptr_}, false);
    for (size_t i = 0; i < module_.functions.size(); ++i) {
      functions_.push_back(llvm::Function::Create(
          type, llvm::GlobalValue::InternalLinkage,
          absl::StrCat("noma_fn_", module_.functions[i].name), *llvm_module_));
    }
  }

  // Library mode: the descriptor is private and every function gets a C entry point.
  void SetLibrary(std::string name) { library_ = std::move(name); }

  // `int32_t NAME_FN(noma_cell* const* args, noma_cell* result, char** error)` per function
  // (LibraryEntryName): runs it through noma_p_call, which renders errors with locations.
  void EmitLibraryEntryPoints(llvm::GlobalVariable* program) {
    auto* type = llvm::FunctionType::get(i32_, {ptr_, ptr_, ptr_}, false);
    for (size_t i = 0; i < module_.functions.size(); ++i) {
      const graph::Function& fn = module_.functions[i];
      if (fn.specialization_of != graph::kNone) continue;  // Callers reach copies internally.
      auto* entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                           LibraryEntryName(library_, fn.name), *llvm_module_);
      llvm::IRBuilder<> b(llvm::BasicBlock::Create(context_, "entry", entry));
      llvm::Value* code = b.CreateCall(
          Runtime("noma_p_call", i32_, {ptr_, ptr_, ptr_, i32_, ptr_, ptr_}),
          {program, functions_[i], entry->getArg(0), llvm::ConstantInt::get(i32_, fn.params.size()),
           entry->getArg(1), entry->getArg(2)});
      b.CreateRet(code);
    }
  }

  // The `noma_program` descriptor and, optionally, a C main.
  // With `gpu_ptx`, main starts the program through noma_gpu_main with the PTX embedded.
  void EmitProgram(bool with_main, const std::string& gpu_ptx) {
    std::vector<llvm::Constant*> prefixes, suffixes;
    for (const auto& [prefix, suffix] : locations_) {
      prefixes.push_back(String(prefix));
      suffixes.push_back(String(suffix));
    }
    auto table = [&](const std::vector<llvm::Constant*>& entries, const char* name) {
      auto* type = llvm::ArrayType::get(ptr_, entries.size());
      return new llvm::GlobalVariable(*llvm_module_, type, true, llvm::GlobalValue::PrivateLinkage,
                                      llvm::ConstantArray::get(type, entries), name);
    };
    auto* program_type = llvm::StructType::get(context_, {ptr_, ptr_, i64_, ptr_});
    auto* program = llvm::ConstantStruct::get(
        program_type,
        {table(prefixes, "noma_location_prefix"), table(suffixes, "noma_location_suffix"),
         llvm::ConstantInt::get(i64_, locations_.size()), functions_[module_.main]});
    auto* global = new llvm::GlobalVariable(
        *llvm_module_, program_type, true,
        library_.empty() ? llvm::GlobalValue::ExternalLinkage : llvm::GlobalValue::InternalLinkage,
        program, library_.empty() ? "noma_program" : absl::StrCat(library_, "_program"));
    if (!library_.empty()) EmitLibraryEntryPoints(global);
    if (!with_main) return;
    auto* main_type = llvm::FunctionType::get(i32_, {i32_, ptr_}, false);
    auto* main = llvm::Function::Create(main_type, llvm::GlobalValue::ExternalLinkage, "main",
                                        *llvm_module_);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context_, "entry", main));
    llvm::Value* code =
        gpu_ptx.empty() ? b.CreateCall(Runtime("noma_p_main", i32_, {ptr_, i32_, ptr_}),
                                       {global, main->getArg(0), main->getArg(1)})
                        : b.CreateCall(Runtime("noma_gpu_main", i32_, {ptr_, ptr_, i32_, ptr_}),
                                       {global, String(gpu_ptx), main->getArg(0), main->getArg(1)});
    b.CreateRet(code);
  }

 private:
  static constexpr char kMessageMark[] = "\x01";

  const graph::Module& module_;
  const syntax::SourceManager& sources_;
  llvm::LLVMContext& context_;
  std::unique_ptr<llvm::Module> llvm_module_;
  llvm::Type* i32_;
  llvm::Type* i64_;
  llvm::Type* f64_;
  llvm::PointerType* ptr_;
  llvm::StructType* cell_;
  llvm::Type* void_;
  std::map<std::string, llvm::Constant*> strings_;
  std::map<std::string, int64_t> location_ids_;
  std::map<std::string, llvm::Function*> group_functions_;
  std::vector<std::pair<std::string, std::string>> locations_;
  std::vector<llvm::Function*> functions_;
  std::vector<bool> runs_in_optimize_;
  std::string library_;
};

}  // namespace

std::vector<FusionGroup> PlanFusionGroups(const graph::Function& fn) {
  std::vector<FusionGroup> groups;
  std::vector<graph::OpId> fused_into(fn.ops.size(), graph::kNone);
  std::vector<uint32_t> uses(fn.value_types.size(), 0);
  std::vector<graph::OpId> definer(fn.value_types.size(), graph::kNone);
  for (graph::OpId id = 0; id < fn.ops.size(); ++id) {
    for (ValueId v : fn.ops[id].operands) ++uses[v];
    if (fn.ops[id].result != graph::kNone) definer[fn.ops[id].result] = id;
  }
  auto fusible = [&](graph::OpId id) {
    const Op& op = fn.ops[id];
    // Statically scalar ops are native code; `any` ones may be tensors at run time (the
    // runtime falls back to the unfused ops when they are not).
    graph::Type::Kind kind =
        op.result == graph::kNone ? graph::Type::kVoid : fn.value_types[op.result].kind;
    return ElementwiseKernel(op).first > 0 &&
           (kind == graph::Type::kTensor || kind == graph::Type::kUnknown);
  };
  auto member_of = [](const std::vector<graph::OpId>& members, graph::OpId id) {
    return std::find(members.begin(), members.end(), id) != members.end();
  };
  for (const graph::Region& region : fn.regions) {
    std::map<graph::OpId, size_t> position;
    for (size_t i = 0; i < region.ops.size(); ++i) position[region.ops[i]] = i;
    for (size_t i = region.ops.size(); i-- > 0;) {
      graph::OpId root = region.ops[i];
      if (!fusible(root) || fused_into[root] != graph::kNone) continue;
      std::vector<graph::OpId> members = {root};
      for (size_t m = 0; m < members.size(); ++m) {
        for (ValueId v : fn.ops[members[m]].operands) {
          graph::OpId def = definer[v];
          if (def == graph::kNone || uses[v] != 1 || !position.count(def) || !fusible(def) ||
              fused_into[def] != graph::kNone || members.size() >= NOMA_P_FUSION_MAX_NODES) {
            continue;
          }
          members.push_back(def);
        }
      }
      // A lone op is a group too when it certainly makes a tensor (its loop is generated);
      // one that may make a scalar stays a runtime call.
      if (members.size() < 2 && fn.value_types[fn.ops[root].result].kind != graph::Type::kTensor) {
        continue;
      }
      std::sort(members.begin(), members.end(),
                [&](graph::OpId a, graph::OpId b) { return position[a] < position[b]; });
      bool contiguous = true;
      for (size_t p = position[members.front()]; p < i && contiguous; ++p) {
        OpCode code = fn.ops[region.ops[p]].code;
        contiguous =
            member_of(members, region.ops[p]) || code == OpCode::kLoad || code == OpCode::kConst;
      }
      if (!contiguous) continue;
      FusionGroup group;
      group.members = members;
      for (graph::OpId member : members) {
        for (ValueId v : fn.ops[member].operands) {
          bool internal = definer[v] != graph::kNone && member_of(members, definer[v]);
          if (!internal &&
              std::find(group.leaves.begin(), group.leaves.end(), v) == group.leaves.end()) {
            group.leaves.push_back(v);
          }
        }
      }
      if (group.leaves.size() > NOMA_P_FUSION_MAX_LEAVES) continue;
      // The root is marked too: a region can be listed again (a loop's), and its root must
      // not start a second group.
      for (graph::OpId member : members) fused_into[member] = root;
      groups.push_back(std::move(group));
    }
  }
  return groups;
}

std::vector<int32_t> FusionProgram(const graph::Function& fn, const FusionGroup& group) {
  std::vector<int32_t> program;
  std::map<ValueId, int32_t> node_of;
  for (size_t k = 0; k < group.members.size(); ++k) {
    const Op& op = fn.ops[group.members[k]];
    auto [arity, kernel] = ElementwiseKernel(op);
    auto ref = [&](ValueId v) {
      auto it = node_of.find(v);
      if (it != node_of.end()) return -1 - it->second;
      return static_cast<int32_t>(std::find(group.leaves.begin(), group.leaves.end(), v) -
                                  group.leaves.begin());
    };
    program.push_back(arity);
    program.push_back(kernel);
    program.push_back(ref(op.operands[0]));
    program.push_back(arity == 2 ? ref(op.operands[1]) : 0);
    node_of[op.result] = static_cast<int32_t>(k);
  }
  return program;
}

namespace {

class FunctionEmitter {
 public:
  FunctionEmitter(ModuleEmitter& m, uint32_t index)
      : m_(m), fn_(m.module().functions[index]), llvm_fn_(m.Function(index)), b_(m.context()) {
    nan_checked_depth_ = m.RunsInOptimize(index) ? 1 : 0;
  }

  void Emit() {
    auto* entry = llvm::BasicBlock::Create(m_.context(), "entry", llvm_fn_);
    b_.SetInsertPoint(entry);
    size_t value_count = std::max<size_t>(1, fn_.value_types.size());
    size_t slot_count = std::max<size_t>(1, fn_.slots.size());
    cells_ = AllocaCells(value_count, "values");
    slots_ = AllocaCells(slot_count, "slots");
    scalars_.assign(fn_.value_types.size(), nullptr);
    for (size_t v = 0; v < fn_.value_types.size(); ++v) {
      if (IsScalar(v)) scalars_[v] = b_.CreateAlloca(m_.f64(), nullptr, absl::StrCat("s", v));
    }
    tapes_ = b_.CreateAlloca(m_.ptr(), nullptr, "tapes");
    b_.CreateStore(llvm::ConstantPointerNull::get(m_.ptr()), tapes_);
    minimize_count_ = b_.CreateAlloca(m_.i64(), nullptr, "minimize_count");
    b_.CreateStore(b_.getInt64(0), minimize_count_);
    last_loss_ = b_.CreateAlloca(m_.f64(), nullptr, "last_loss");
    b_.CreateStore(llvm::ConstantFP::get(m_.f64(), 0), last_loss_);
    return_code_ = b_.CreateAlloca(m_.i32(), nullptr, "return_code");
    b_.CreateStore(b_.getInt32(0), return_code_);
    has_optimize_ = false;
    for (const Op& op : fn_.ops) has_optimize_ |= op.code == OpCode::kOptimize;
    if (has_optimize_) {
      saved_depth_ = b_.CreateCall(m_.Runtime("noma_p_optimize_depth", m_.i32(), {}));
    }
    for (size_t i = 0; i < fn_.params.size(); ++i) {
      llvm::Value* arg = b_.CreateLoad(
          m_.ptr(), b_.CreateConstGEP1_64(m_.ptr(), llvm_fn_->getArg(0), static_cast<int64_t>(i)));
      Call("noma_p_copy", nullptr, {SlotCell(fn_.params[i]), arg});
    }
    PlanFusion();
    PlanTransposedMatmuls();
    exit_ = llvm::BasicBlock::Create(m_.context(), "exit", llvm_fn_);
    error_ = llvm::BasicBlock::Create(m_.context(), "error", llvm_fn_);
    EmitRegion(fn_.body);
    if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(exit_);

    b_.SetInsertPoint(error_);
    b_.CreateStore(b_.getInt32(1), return_code_);
    b_.CreateBr(exit_);
    b_.SetInsertPoint(exit_);
    Call("noma_p_release_all", nullptr, {cells_, b_.getInt64(value_count)});
    Call("noma_p_release_all", nullptr, {slots_, b_.getInt64(slot_count)});
    if (value_count > kMaxStackCells) Call("noma_p_frame_delete", nullptr, {cells_});
    if (slot_count > kMaxStackCells) Call("noma_p_frame_delete", nullptr, {slots_});
    Call("noma_p_tapes_free", nullptr, {b_.CreateLoad(m_.ptr(), tapes_)});
    if (has_optimize_) Call("noma_p_optimize_restore", nullptr, {saved_depth_});
    b_.CreateRet(b_.CreateLoad(m_.i32(), return_code_));
  }

 private:
  // ------------------------------------------------------------------ frame helpers

  // A frame's cells: on the stack for small functions; large ones take them from the heap, so
  // deep recursion through a large function does not exhaust the native stack.
  llvm::Value* AllocaCells(size_t count, const char* name) {
    if (count > kMaxStackCells) {
      return Call("noma_p_frame_new", m_.ptr(), {b_.getInt64(count)});
    }
    auto* type = llvm::ArrayType::get(m_.cell(), count);
    llvm::AllocaInst* cells = b_.CreateAlloca(type, nullptr, name);
    b_.CreateMemSet(cells, b_.getInt8(0), b_.getInt64(count * 24), llvm::MaybeAlign(8));
    return cells;
  }
  static constexpr size_t kMaxStackCells = 128;  // 3 KiB of cells.

  bool IsScalar(ValueId v) const {
    return v < fn_.value_types.size() && fn_.value_types[v].kind == graph::Type::kScalar;
  }

  llvm::Value* CellAt(llvm::Value* base, uint32_t index) {
    return b_.CreateConstInBoundsGEP2_64(llvm::ArrayType::get(m_.cell(), 0), base, 0, index);
  }
  llvm::Value* ValueCell(ValueId v) { return CellAt(cells_, v); }
  llvm::Value* SlotCell(graph::SlotId s) { return CellAt(slots_, s); }
  llvm::Value* Field(llvm::Value* cell, unsigned field) {
    return b_.CreateStructGEP(m_.cell(), cell, field);
  }

  // The value's cell, holding its current value (scalars are boxed on demand).
  llvm::Value* Cell(ValueId v) {
    llvm::Value* cell = ValueCell(v);
    if (IsScalar(v)) {
      b_.CreateStore(b_.getInt64(NOMA_P_SCALAR), Field(cell, 0));
      b_.CreateStore(Scalar(v), Field(cell, 1));
    }
    return cell;
  }
  llvm::Value* Scalar(ValueId v) { return b_.CreateLoad(m_.f64(), scalars_[v]); }
  void SetScalar(ValueId v, llvm::Value* x) { b_.CreateStore(x, scalars_[v]); }

  llvm::Value* Call(const std::string& name, llvm::Type* ret, std::vector<llvm::Value*> args) {
    std::vector<llvm::Type*> types;
    for (llvm::Value* a : args) types.push_back(a->getType());
    return b_.CreateCall(m_.Runtime(name, ret, types), args);
  }

  // A fallible runtime call. Errors are deferred: the runtime keeps the first one with the
  // location stored here, later calls do nothing visible, and the generated code looks at the
  // pending flag only where control flow or a side effect depends on it (CheckPending), which
  // keeps the code almost free of branches.
  void Checked(const std::string& name, std::vector<llvm::Value*> args,
               const syntax::SourceRange& loc) {
    SetLocation(loc);
    Call(name, m_.i32(), std::move(args));
  }

  void SetLocation(const syntax::SourceRange& loc) {
    b_.CreateStore(b_.getInt64(m_.Location(loc)), m_.RuntimeGlobal("noma_p_location", m_.i64()));
  }

  // Leaves the function (with status 1) when an error is pending.
  void CheckPending() {
    llvm::Value* pending =
        b_.CreateLoad(m_.i32(), m_.RuntimeGlobal("noma_p_error_pending", m_.i32()));
    auto* cont = NewBlock("ok");
    b_.CreateCondBr(b_.CreateICmpNE(pending, b_.getInt32(0)), error_, cont, Unlikely());
    b_.SetInsertPoint(cont);
  }

  llvm::MDNode* Unlikely() { return llvm::MDBuilder(m_.context()).createBranchWeights(1, 2000); }

  llvm::BasicBlock* NewBlock(const char* name) {
    return llvm::BasicBlock::Create(m_.context(), name, llvm_fn_);
  }

  // An array of cell pointers on the stack (arguments of variadic runtime calls).
  llvm::Value* CellArray(const std::vector<llvm::Value*>& cells) {
    auto* type = llvm::ArrayType::get(m_.ptr(), std::max<size_t>(1, cells.size()));
    llvm::Value* array = EntryAlloca(type);
    for (size_t i = 0; i < cells.size(); ++i) {
      b_.CreateStore(cells[i], b_.CreateConstInBoundsGEP2_64(type, array, 0, i));
    }
    return array;
  }

  llvm::Value* OperandCells(const Op& op, size_t first, size_t end) {
    std::vector<llvm::Value*> cells;
    for (size_t i = first; i < end; ++i) cells.push_back(Cell(op.operands[i]));
    return CellArray(cells);
  }

  llvm::Value* EntryAlloca(llvm::Type* type) {
    llvm::IRBuilder<> eb(&llvm_fn_->getEntryBlock(), llvm_fn_->getEntryBlock().begin());
    return eb.CreateAlloca(type);
  }

  // After a runtime call wrote op's result cell: a statically scalar result moves into its
  // register. Type inference is sound and the runtime turns rank-0 results into scalars, so the
  // cell holds a scalar unless the call failed, and then the value is never observed.
  void FinishResult(const Op& op) {
    if (op.result == graph::kNone || !IsScalar(op.result)) return;
    SetScalar(op.result, b_.CreateLoad(m_.f64(), Field(ValueCell(op.result), 1)));
  }

  // Every branch of the program looks at the pending error first: no loop runs on after one.
  llvm::Value* Truth(ValueId v, const syntax::SourceRange& loc) {
    if (IsScalar(v)) {
      CheckPending();
      return b_.CreateFCmpUNE(Scalar(v), llvm::ConstantFP::get(m_.f64(), 0));
    }
    llvm::Value* truth = EntryAlloca(m_.i32());
    Checked("noma_p_truthy", {Cell(v), truth}, loc);
    CheckPending();
    return b_.CreateICmpNE(b_.CreateLoad(m_.i32(), truth), b_.getInt32(0));
  }

  ValueId YieldOf(RegionId region) { return fn_.ops[fn_.regions[region].ops.back()].operands[0]; }

  llvm::Value* Str(const std::string& text) { return m_.String(text); }

  // ------------------------------------------------------------------ regions and ops

  void EmitRegion(RegionId region) {
    for (graph::OpId id : fn_.regions[region].ops) {
      if (b_.GetInsertBlock()->getTerminator()) {
        b_.SetInsertPoint(NewBlock("dead"));  // After a return: unreachable, removed later.
      }
      if (fused_into_[id] != graph::kNone) continue;  // Computed by its chain's root.
      if (folded_transposes_.count(id)) continue;     // Read transposed by its matmul.
      auto product = transposed_matmuls_.find(id);
      if (product != transposed_matmuls_.end()) {
        EmitTransposedMatmul(fn_.ops[id], product->second);
        continue;
      }
      auto group = fusion_groups_.find(id);
      if (group != fusion_groups_.end()) {
        EmitFused(group->second);
        continue;
      }
      EmitOpChecked(fn_.ops[id]);
    }
  }

  void EmitOpChecked(const Op& op) {
    EmitOp(op);
    if (op.result != graph::kNone && graph::ComputesValue(op.code) && nan_checked_depth_ > 0) {
      CheckNan(op);
    }
  }

  // ------------------------------------------------------------------ fusion

  void PlanFusion() {
    fused_into_.assign(fn_.ops.size(), graph::kNone);
    for (FusionGroup& group : PlanFusionGroups(fn_)) {
      graph::OpId root = group.members.back();
      for (graph::OpId member : group.members) {
        if (member != root) fused_into_[member] = root;
      }
      fusion_groups_[root] = std::move(group);
    }
  }

  // matmul(transpose(x), g) and matmul(g, transpose(w)) — the products the backward pass of a
  // matmul makes — read the transposed operand in place when the transpose has no other use.
  struct TransposedMatmul {
    std::array<ValueId, 2> sources;  // What the matmul reads, transposed or not.
    std::array<graph::OpId, 2> transposes = {graph::kNone, graph::kNone};  // Folded, per side.
  };

  void PlanTransposedMatmuls() {
    std::vector<uint32_t> uses(fn_.value_types.size(), 0);
    std::vector<graph::OpId> definer(fn_.value_types.size(), graph::kNone);
    for (graph::OpId id = 0; id < fn_.ops.size(); ++id) {
      for (ValueId v : fn_.ops[id].operands) ++uses[v];
      if (fn_.ops[id].result != graph::kNone) definer[fn_.ops[id].result] = id;
    }
    auto is_builtin = [&](graph::OpId id, Builtin builtin) {
      return id != graph::kNone && fn_.ops[id].code == OpCode::kBuiltin &&
             static_cast<Builtin>(fn_.ops[id].sub) == builtin;
    };
    for (graph::OpId id = 0; id < fn_.ops.size(); ++id) {
      if (!is_builtin(id, Builtin::kMatmul) || fused_into_[id] != graph::kNone) continue;
      TransposedMatmul product;
      bool any = false;
      for (size_t side = 0; side < 2; ++side) {
        ValueId v = fn_.ops[id].operands[side];
        graph::OpId def = definer[v];
        product.sources[side] = v;
        if (is_builtin(def, Builtin::kTranspose) && uses[v] == 1 &&
            fused_into_[def] == graph::kNone && !fusion_groups_.count(def)) {
          product.sources[side] = fn_.ops[def].operands[0];
          product.transposes[side] = def;
          any = true;
        }
      }
      if (!any) continue;
      for (graph::OpId t : product.transposes) {
        if (t != graph::kNone) folded_transposes_.insert(t);
      }
      transposed_matmuls_[id] = product;
    }
  }

  // The product in place, or (when the runtime declines: not rank-2 host tensors, an error to
  // report, --check-nan) the transposes and the matmul one by one.
  void EmitTransposedMatmul(const Op& op, const TransposedMatmul& product) {
    llvm::Value* status =
        Call("noma_p_matmul_transposed", m_.i32(),
             {ValueCell(op.result), Cell(product.sources[0]),
              b_.getInt32(product.transposes[0] != graph::kNone), Cell(product.sources[1]),
              b_.getInt32(product.transposes[1] != graph::kNone)});
    auto* unfused = NewBlock("matmul_unfused");
    auto* done = NewBlock("matmul_done");
    b_.CreateCondBr(b_.CreateICmpNE(status, b_.getInt32(0)), unfused, done, Unlikely());
    b_.SetInsertPoint(unfused);
    for (graph::OpId t : product.transposes) {
      if (t != graph::kNone) EmitOpChecked(fn_.ops[t]);
    }
    EmitOpChecked(op);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  // A fused group as a loop in the generated code (docs/codegen.md, "Fused groups"): the
  // runtime checks the shapes and provides the result (noma_p_group_begin), the loop computes
  // every element. When the runtime declines (an error to report, --check-nan, rank > 2, a
  // string) the chain's ops run one by one; on a GPU the runtime ran the chain itself.
  void EmitFused(const FusionGroup& group) {
    std::vector<llvm::Constant*> program;
    const std::vector<int32_t> words = FusionProgram(fn_, group);
    for (int32_t word : words) program.push_back(b_.getInt32(word));
    auto* type = llvm::ArrayType::get(m_.i32(), program.size());
    auto* table =
        new llvm::GlobalVariable(m_.llvm_module(), type, true, llvm::GlobalValue::PrivateLinkage,
                                 llvm::ConstantArray::get(type, program), "fusion");
    std::vector<llvm::Value*> leaves;
    for (ValueId v : group.leaves) leaves.push_back(Cell(v));
    const Op& root = fn_.ops[group.members.back()];
    // The descriptor lives in the frame: the runtime keeps its plan there between runs.
    auto* descriptor = llvm::cast<llvm::AllocaInst>(EntryAlloca(GroupType()));
    llvm::IRBuilder<> entry(descriptor->getParent(), std::next(descriptor->getIterator()));
    entry.CreateStore(entry.getInt64(0), entry.CreateStructGEP(GroupType(), descriptor, 7));
    llvm::Value* status =
        Call("noma_p_group_begin", m_.i32(),
             {ValueCell(root.result), CellArray(leaves), b_.getInt32(group.leaves.size()), table,
              b_.getInt32(group.members.size()), descriptor});
    auto* loop = NewBlock("group");
    auto* unfused = NewBlock("unfused");
    auto* done = NewBlock("group_done");
    llvm::SwitchInst* choice = b_.CreateSwitch(status, unfused, 2);
    choice->addCase(b_.getInt32(0), loop);
    choice->addCase(b_.getInt32(2), done);
    b_.SetInsertPoint(loop);
    std::vector<llvm::Value*> args = {descriptor};
    for (ValueId v : group.leaves) {
      if (IsScalar(v)) args.push_back(Scalar(v));
    }
    b_.CreateCall(GroupFunction(group, words), args);
    b_.CreateBr(done);
    b_.SetInsertPoint(unfused);
    for (graph::OpId member : group.members) EmitOpChecked(fn_.ops[member]);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  // noma_group (noma/runtime/program.h).
  llvm::StructType* GroupType() {
    auto* leaves_ptr = llvm::ArrayType::get(m_.ptr(), NOMA_P_FUSION_MAX_LEAVES);
    auto* leaves_i64 = llvm::ArrayType::get(m_.i64(), NOMA_P_FUSION_MAX_LEAVES);
    auto* dims = llvm::ArrayType::get(m_.i64(), 2);
    return llvm::StructType::get(
        m_.context(), {m_.ptr(), m_.i64(), m_.i64(), leaves_ptr, leaves_i64, leaves_i64, m_.i64(),
                       m_.i64(), m_.i64(), m_.i64(), dims, leaves_i64,
                       llvm::ArrayType::get(dims, NOMA_P_FUSION_MAX_LEAVES)});
  }

  // A counted loop `for (i = begin; i < end; i += step)` around body(i), at the insertion
  // point; the builder ends after the loop.
  template <typename Body>
  void EmitCountedLoop(llvm::Value* begin, llvm::Value* end, int64_t step, const char* name,
                       Body&& body) {
    llvm::BasicBlock* before = b_.GetInsertBlock();
    auto* head = NewBlock(name);
    auto* exit = NewBlock("loop_exit");
    b_.CreateCondBr(b_.CreateICmpSLT(begin, end), head, exit);
    b_.SetInsertPoint(head);
    llvm::PHINode* i = b_.CreatePHI(m_.i64(), 2);
    i->addIncoming(begin, before);
    body(static_cast<llvm::Value*>(i));
    llvm::Value* next = b_.CreateAdd(i, b_.getInt64(step), "", /*HasNUW=*/true, /*HasNSW=*/true);
    i->addIncoming(next, b_.GetInsertBlock());
    b_.CreateCondBr(b_.CreateICmpSLT(next, end), head, exit);
    b_.SetInsertPoint(exit);
  }

  // The function running a group's loops: `void (ptr descriptor, double scalar leaves...)`.
  // Groups of the same structure (ops, leaves, which leaves are statically scalar) share one:
  // a training step repeats the same chains (every parameter's optimizer update, say), and one
  // copy keeps the program small and its compile fast.
  llvm::Function* GroupFunction(const FusionGroup& group, const std::vector<int32_t>& words) {
    std::string key = absl::StrCat(group.leaves.size(), ":");
    for (ValueId v : group.leaves) absl::StrAppend(&key, IsScalar(v) ? "s" : "t");
    for (int32_t word : words) absl::StrAppend(&key, ",", word);
    if (llvm::Function* existing = m_.GroupFunction(key)) return existing;
    std::vector<llvm::Type*> params = {m_.ptr()};
    for (ValueId v : group.leaves) {
      if (IsScalar(v)) params.push_back(m_.f64());
    }
    auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(m_.context()), params, false);
    auto create = [&](const std::string& name) {
      auto* function =
          llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage, name, m_.llvm_module());
      function->addFnAttr(llvm::Attribute::NoUnwind);
      function->addFnAttr(llvm::Attribute::NoInline);
      return function;
    };
    llvm::Function* entry = create("noma_group");
    m_.SetGroupFunction(key, entry);
    // Emit into the new functions, then come back.
    llvm::Function* caller = llvm_fn_;
    llvm::BasicBlock* caller_block = b_.GetInsertBlock();
    auto emit_loop = [&](llvm::Function* function) {
      llvm_fn_ = function;
      b_.SetInsertPoint(llvm::BasicBlock::Create(m_.context(), "entry", function));
      std::vector<llvm::Value*> scalars(group.leaves.size(), nullptr);
      unsigned next_arg = 1;
      for (size_t l = 0; l < group.leaves.size(); ++l) {
        if (IsScalar(group.leaves[l])) scalars[l] = function->getArg(next_arg++);
      }
      EmitGroupLoop(words, scalars, function->getArg(0));
      b_.CreateRetVoid();
    };
    if (!llvm::Triple(llvm::sys::getProcessTriple()).isX86()) {
      emit_loop(entry);
    } else {
      // On x86-64 the loop is compiled for the baseline, AVX2 and AVX-512, and runs with the
      // runtime kernels' instruction set (elementwise IEEE operations give the same bits at
      // every vector width): an executable built for the portable baseline still runs its
      // loops at the CPU's width.
      std::vector<llvm::Function*> variants = {create("noma_group.base")};
      for (const char* features :
           {"+sse4.2,+popcnt,+avx,+avx2,+fma,+f16c,+bmi,+bmi2",
            "+sse4.2,+popcnt,+avx,+avx2,+fma,+f16c,+bmi,+bmi2,+avx512f,+avx512dq,+avx512vl,"
            "+avx512bw,+evex512"}) {
        llvm::Function* variant = create("noma_group.isa");
        variant->addFnAttr("target-features", features);
        variants.push_back(variant);
      }
      for (llvm::Function* variant : variants) emit_loop(variant);
      llvm_fn_ = entry;
      b_.SetInsertPoint(llvm::BasicBlock::Create(m_.context(), "entry", entry));
      llvm::Value* level =
          b_.CreateLoad(m_.i64(), b_.CreateStructGEP(GroupType(), entry->getArg(0), 6));
      std::vector<llvm::Value*> args;
      for (llvm::Argument& arg : entry->args()) args.push_back(&arg);
      auto* avx512 = NewBlock("avx512");
      auto* below = NewBlock("below_avx512");
      auto* avx2 = NewBlock("avx2");
      auto* base = NewBlock("base");
      b_.CreateCondBr(b_.CreateICmpSGE(level, b_.getInt64(3)), avx512, below);
      b_.SetInsertPoint(below);
      b_.CreateCondBr(b_.CreateICmpSGE(level, b_.getInt64(2)), avx2, base);
      const std::pair<llvm::BasicBlock*, llvm::Function*> targets[] = {
          {base, variants[0]}, {avx2, variants[1]}, {avx512, variants[2]}};
      for (const auto& [block, variant] : targets) {
        b_.SetInsertPoint(block);
        b_.CreateCall(variant, args);
        b_.CreateRetVoid();
      }
    }
    llvm_fn_ = caller;
    b_.SetInsertPoint(caller_block);
    return entry;
  }

  // The loops of a fused group over the descriptor noma_p_group_begin filled. Operations that
  // are exact IEEE arithmetic or formulas over it (elementwise_ir.h) are generated inline;
  // the others (exp, tanh, log, pow, ... whose bits are the runtime's) run as the runtime's
  // array kernels over blocks of a row, between inline loops over the same block.
  void EmitGroupLoop(const std::vector<int32_t>& words, const std::vector<llvm::Value*>& scalar,
                     llvm::Value* descriptor) {
    IntrinsicMath math;
    struct Node {
      int arity;
      int kernel;
      int32_t operands[2];  // >= 0: a leaf; -1 - k: node k.
      bool inline_kernel;
      int stage;
      bool stored = false;  // Read by a later stage: kept in a block buffer.
    };
    std::vector<Node> nodes;
    int stage = -1;
    bool previous_inline = false;
    for (size_t w = 0; w < words.size(); w += 4) {
      Node node{words[w], words[w + 1], {words[w + 2], words[w + 3]}, false, 0};
      node.inline_kernel = KernelIsInline(math, node.arity, node.kernel);
      if (!(node.inline_kernel && previous_inline)) ++stage;
      node.stage = stage;
      previous_inline = node.inline_kernel;
      nodes.push_back(node);
    }
    const int stages = stage + 1;
    for (const Node& node : nodes) {
      for (int o = 0; o < node.arity; ++o) {
        int32_t ref = node.operands[o];
        if (ref < 0 && nodes[-1 - ref].stage != node.stage) nodes[-1 - ref].stored = true;
      }
    }
    for (Node& node : nodes) node.stored |= !node.inline_kernel;
    const size_t root = nodes.size() - 1;

    llvm::Type* group_type = GroupType();
    auto field = [&](unsigned index, llvm::Type* type, const char* name) {
      return b_.CreateLoad(type, b_.CreateStructGEP(group_type, descriptor, index), name);
    };
    auto leaf_field = [&](unsigned index, size_t leaf, llvm::Type* type) {
      return b_.CreateLoad(type, b_.CreateConstInBoundsGEP2_64(
                                     group_type->getStructElementType(index),
                                     b_.CreateStructGEP(group_type, descriptor, index), 0, leaf));
    };
    llvm::Value* out = field(0, m_.ptr(), "out");
    llvm::Value* rows = field(1, m_.i64(), "rows");
    llvm::Value* cols = field(2, m_.i64(), "cols");
    const size_t leaf_count = scalar.size();  // scalar[l]: a statically scalar leaf's value.
    std::vector<llvm::Value*> base(leaf_count), row_stride(leaf_count), col_stride(leaf_count);
    for (size_t l = 0; l < leaf_count; ++l) {
      base[l] = leaf_field(3, l, m_.ptr());
      row_stride[l] = leaf_field(4, l, m_.i64());
      col_stride[l] = leaf_field(5, l, m_.i64());
    }
    // Block buffers of the stored nodes (only when some kernel runs in the runtime).
    constexpr int64_t kBlock = 256;
    std::vector<llvm::Value*> buffer(nodes.size(), nullptr);
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (nodes[k].stored && k != root) {
        buffer[k] = EntryAlloca(llvm::ArrayType::get(m_.f64(), kBlock));
      }
    }
    llvm::Value* block = b_.getInt64(stages == 1 ? 0 : kBlock);

    EmitCountedLoop(b_.getInt64(0), rows, 1, "group_row", [&](llvm::Value* r) {
      std::vector<llvm::Value*> row_base(leaf_count);
      for (size_t l = 0; l < leaf_count; ++l) {
        row_base[l] = b_.CreateInBoundsGEP(m_.f64(), base[l], b_.CreateMul(r, row_stride[l]));
      }
      llvm::Value* out_row = b_.CreateInBoundsGEP(m_.f64(), out, b_.CreateMul(r, cols));
      // One block [c0, c0 + n) of the row; with a single inline stage, the whole row.
      auto emit_block = [&](llvm::Value* c0, llvm::Value* n) {
        std::vector<llvm::Value*> value(nodes.size(), nullptr);
        for (int s = 0; s < stages; ++s) {
          size_t first = 0;
          while (nodes[first].stage != s) ++first;
          if (!nodes[first].inline_kernel) {
            EmitBlockKernel(nodes[first], first == root, buffer, row_base, col_stride, out_row, c0,
                            n, first);
            continue;
          }
          EmitCountedLoop(b_.getInt64(0), n, 1, "group_col", [&](llvm::Value* j) {
            llvm::Value* c = b_.CreateAdd(c0, j);
            auto operand = [&](int32_t ref) -> llvm::Value* {
              if (ref >= 0) {
                if (scalar[ref]) return scalar[ref];
                return b_.CreateLoad(m_.f64(),
                                     b_.CreateInBoundsGEP(m_.f64(), row_base[ref],
                                                          b_.CreateMul(c, col_stride[ref])));
              }
              size_t k = static_cast<size_t>(-1 - ref);
              if (nodes[k].stage == s) return value[k];
              return b_.CreateLoad(m_.f64(), b_.CreateInBoundsGEP(m_.f64(), buffer[k], j));
            };
            for (size_t k = 0; k < nodes.size(); ++k) {
              if (nodes[k].stage != s) continue;
              llvm::Value* a = operand(nodes[k].operands[0]);
              value[k] = nodes[k].arity == 1
                             ? EmitUnaryKernel(
                                   b_, math, static_cast<runtime::UnaryKernel>(nodes[k].kernel), a)
                             : EmitBinaryKernel(b_, math,
                                                static_cast<runtime::BinaryKernel>(nodes[k].kernel),
                                                a, operand(nodes[k].operands[1]));
              if (k == root) {
                b_.CreateStore(value[k], b_.CreateInBoundsGEP(m_.f64(), out_row, c));
              } else if (nodes[k].stored) {
                b_.CreateStore(value[k], b_.CreateInBoundsGEP(m_.f64(), buffer[k], j));
              }
            }
          });
        }
      };
      if (stages == 1) {
        emit_block(b_.getInt64(0), cols);
        return;
      }
      EmitCountedLoop(b_.getInt64(0), cols, kBlock, "group_block", [&](llvm::Value* c0) {
        llvm::Value* rest = b_.CreateSub(cols, c0);
        llvm::Value* n = b_.CreateSelect(b_.CreateICmpSLT(rest, block), rest, block);
        emit_block(c0, n);
      });
    });
  }

  // A node whose kernel runs in the runtime, over one block of a row: operands from the
  // leaves (with their column strides) or earlier nodes' buffers, into its buffer or the
  // result row.
  template <typename Node>
  void EmitBlockKernel(const Node& node, bool is_root, const std::vector<llvm::Value*>& buffer,
                       const std::vector<llvm::Value*>& row_base,
                       const std::vector<llvm::Value*>& col_stride, llvm::Value* out_row,
                       llvm::Value* c0, llvm::Value* n, size_t index) {
    auto operand = [&](int32_t ref) -> std::pair<llvm::Value*, llvm::Value*> {
      if (ref >= 0) {
        return {b_.CreateInBoundsGEP(m_.f64(), row_base[ref], b_.CreateMul(c0, col_stride[ref])),
                col_stride[ref]};
      }
      return {buffer[static_cast<size_t>(-1 - ref)], b_.getInt64(1)};
    };
    llvm::Value* target = is_root ? b_.CreateInBoundsGEP(m_.f64(), out_row, c0) : buffer[index];
    auto [a, a_stride] = operand(node.operands[0]);
    if (node.arity == 1) {
      Call("noma_p_unary_block", nullptr, {b_.getInt32(node.kernel), a, a_stride, target, n});
      return;
    }
    auto [c, c_stride] = operand(node.operands[1]);
    Call("noma_p_binary_block", nullptr,
         {b_.getInt32(node.kernel), a, a_stride, c, c_stride, target, n});
  }

  // --check-nan: inside optimize loops, the first NaN/inf an op produces is an error. The
  // runtime's flag is set only while checks apply.
  void CheckNan(const Op& op) {
    if (b_.GetInsertBlock()->getTerminator()) return;
    std::string name = graph::NanCheckName(op);
    if (!IsScalar(op.result)) {
      // The runtime returns at once while checks are off.
      Checked("noma_p_check_finite", {Cell(op.result), Str(name)}, op.loc);
      return;
    }
    llvm::Value* flag = b_.CreateICmpNE(
        b_.CreateLoad(m_.i32(), m_.RuntimeGlobal("noma_p_nan_checks", m_.i32())), b_.getInt32(0));
    llvm::Value* magnitude = b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, Scalar(op.result));
    llvm::Value* not_finite = b_.CreateFCmpUEQ(magnitude, llvm::ConstantFP::getInfinity(m_.f64()));
    auto* report = NewBlock("nan_found");
    auto* cont = NewBlock("nan_ok");
    b_.CreateCondBr(b_.CreateAnd(flag, not_finite), report, cont, Unlikely());
    b_.SetInsertPoint(report);
    Checked("noma_p_error", {Str(absl::StrCat(name, " produced a NaN or infinity (--check-nan)"))},
            op.loc);
    b_.CreateBr(cont);
    b_.SetInsertPoint(cont);
  }

  void EmitOp(const Op& op) {
    switch (op.code) {
      case OpCode::kConst:
        if (IsScalar(op.result)) {
          SetScalar(op.result, llvm::ConstantFP::get(m_.f64(), op.number));
        } else {
          Call("noma_p_set_scalar", nullptr,
               {ValueCell(op.result), llvm::ConstantFP::get(m_.f64(), op.number)});
        }
        return;
      case OpCode::kStringConst:
        Call("noma_p_set_string", nullptr, {ValueCell(op.result), Str(op.keys[0])});
        return;
      case OpCode::kTensorLit: {
        std::vector<llvm::Constant*> dims;
        for (int64_t d : op.ints) dims.push_back(b_.getInt64(d));
        auto* shape_type = llvm::ArrayType::get(m_.i64(), std::max<size_t>(1, dims.size()));
        if (dims.empty()) dims.push_back(b_.getInt64(0));
        auto* shape = new llvm::GlobalVariable(m_.llvm_module(), shape_type, true,
                                               llvm::GlobalValue::PrivateLinkage,
                                               llvm::ConstantArray::get(shape_type, dims));
        Checked("noma_p_tensor_literal",
                {ValueCell(op.result), OperandCells(op, 0, op.operands.size()),
                 b_.getInt64(op.operands.size()), shape, b_.getInt32(op.ints.size())},
                op.loc);
        FinishResult(op);
        return;
      }
      case OpCode::kLoad:
        EmitLoad(op);
        return;
      case OpCode::kStore:
        EmitStore(SlotCell(op.slot), op.operands[0]);
        return;
      case OpCode::kUnary:
        EmitUnary(op, static_cast<int>(ToKernel(static_cast<graph::UnaryOpKind>(op.sub))),
                  op.operands[0]);
        return;
      case OpCode::kBinary:
        EmitBinary(op, ToKernel(static_cast<graph::BinaryOpKind>(op.sub)), op.operands[0],
                   op.operands[1]);
        return;
      case OpCode::kShortCircuit:
        EmitShortCircuit(op);
        return;
      case OpCode::kBuiltin:
        EmitBuiltin(op);
        return;
      case OpCode::kCall:
        EmitCall(op);
        return;
      case OpCode::kIndex:
        Checked("noma_p_index", {ValueCell(op.result), Cell(op.operands[0]), Cell(op.operands[1])},
                op.loc);
        FinishResult(op);
        return;
      case OpCode::kYield:
        return;
      case OpCode::kIf: {
        llvm::Value* truth = Truth(op.operands[0], op.loc);
        auto* then_block = NewBlock("then");
        auto* else_block = NewBlock("else");
        auto* merge = NewBlock("endif");
        b_.CreateCondBr(truth, then_block, else_block);
        b_.SetInsertPoint(then_block);
        EmitRegion(op.regions[0]);
        if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(merge);
        b_.SetInsertPoint(else_block);
        EmitRegion(op.regions[1]);
        if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(merge);
        b_.SetInsertPoint(merge);
        return;
      }
      case OpCode::kWhile: {
        auto* cond = NewBlock("while_cond");
        auto* body = NewBlock("while_body");
        auto* done = NewBlock("while_end");
        b_.CreateBr(cond);
        b_.SetInsertPoint(cond);
        EmitRegion(op.regions[0]);
        b_.CreateCondBr(Truth(YieldOf(op.regions[0]), op.loc), body, done);
        b_.SetInsertPoint(body);
        EmitRegion(op.regions[1]);
        if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(cond);
        b_.SetInsertPoint(done);
        return;
      }
      case OpCode::kReturn:
        if (op.operands.empty()) {
          Call("noma_p_release", nullptr, {llvm_fn_->getArg(1)});
        } else {
          Call("noma_p_copy", nullptr, {llvm_fn_->getArg(1), Cell(op.operands[0])});
        }
        b_.CreateBr(exit_);
        return;
      case OpCode::kOptimize:
        EmitOptimize(op);
        return;
      case OpCode::kMinimize:
        if (IsScalar(op.operands[0])) {
          llvm::Value* count = b_.CreateLoad(m_.i64(), minimize_count_);
          b_.CreateStore(b_.CreateAdd(count, b_.getInt64(1)), minimize_count_);
          b_.CreateStore(Scalar(op.operands[0]), last_loss_);
        } else {
          Checked("noma_p_minimize", {Cell(op.operands[0]), minimize_count_, last_loss_}, op.loc);
        }
        return;
      case OpCode::kAlloc:
        Checked("noma_p_alloc",
                {SlotCell(op.slot), OperandCells(op, 0, op.operands.size()),
                 b_.getInt32(op.operands.size())},
                op.loc);
        return;
      case OpCode::kRealloc:
        Checked("noma_p_realloc",
                {SlotCell(op.slot), OperandCells(op, 0, op.operands.size()),
                 b_.getInt32(op.operands.size()), b_.getInt32(fn_.slots[op.slot].learnable),
                 Str(fn_.slots[op.slot].name)},
                op.loc);
        return;
      case OpCode::kFree:
        Checked("noma_p_free", {SlotCell(op.slot), Str(fn_.slots[op.slot].name)}, op.loc);
        return;
      case OpCode::kResetOptimizer:
        // The autodiff pass turned it into stores to the optimizer state; the event is logged.
        Call("noma_p_reset_optimizer_event", nullptr, {});
        return;
      case OpCode::kLoadCsv:
        Checked("noma_p_load_csv", {SlotCell(op.slot), Cell(op.operands[0])}, op.loc);
        return;
      case OpCode::kSaveCsv:
        Checked("noma_p_save_csv", {Cell(op.operands[0]), Cell(op.operands[1])}, op.loc);
        return;
      case OpCode::kLoadSafetensors: {
        std::vector<llvm::Value*> keys, slots;
        for (size_t i = 0; i < op.keys.size(); ++i) {
          keys.push_back(Str(op.keys[i]));
          slots.push_back(SlotCell(static_cast<graph::SlotId>(op.ints[i])));
        }
        Checked(
            "noma_p_load_safetensors",
            {Cell(op.operands[0]), CellArray(keys), CellArray(slots), b_.getInt32(op.keys.size())},
            op.loc);
        return;
      }
      case OpCode::kSaveSafetensors: {
        std::vector<llvm::Value*> keys;
        for (size_t i = 0; i + 1 < op.operands.size(); ++i) keys.push_back(Str(op.keys[i]));
        size_t count = op.operands.size() - 1;
        Checked("noma_p_save_safetensors",
                {OperandCells(op, 0, count), CellArray(keys), b_.getInt32(count),
                 Cell(op.operands.back())},
                op.loc);
        return;
      }
      case OpCode::kBatch:
        EmitBatch(op);
        return;
      case OpCode::kTapePush:
        Call("noma_p_tape_push", nullptr,
             {tapes_, b_.getInt64(static_cast<int64_t>(op.number)), Cell(op.operands[0])});
        return;
      case OpCode::kTapePop:
        Checked("noma_p_tape_pop",
                {tapes_, b_.getInt64(static_cast<int64_t>(op.number)), ValueCell(op.result)},
                op.loc);
        FinishResult(op);
        return;
      case OpCode::kSumToShape:
        if (IsScalar(op.operands[0]) && IsScalar(op.operands[1])) {
          SetScalarResult(op, Scalar(op.operands[0]));
          return;
        }
        Checked("noma_p_sum_to_shape",
                {ValueCell(op.result), Cell(op.operands[0]), Cell(op.operands[1])}, op.loc);
        FinishResult(op);
        return;
      case OpCode::kIndexAdjoint:
        Checked("noma_p_index_adjoint",
                {ValueCell(op.result), Cell(op.operands[0]), Cell(op.operands[1]),
                 Cell(op.operands[2])},
                op.loc);
        FinishResult(op);
        return;
      case OpCode::kZerosLike:
        if (IsScalar(op.operands[0])) {
          SetScalarResult(op, llvm::ConstantFP::get(m_.f64(), 0));
          return;
        }
        Checked("noma_p_zeros_like", {ValueCell(op.result), Cell(op.operands[0])}, op.loc);
        FinishResult(op);
        return;
      case OpCode::kReallocLike:
        if (IsScalar(op.operands[0]) && IsScalar(op.operands[1])) {
          SetScalarResult(op, Scalar(op.operands[0]));
          return;
        }
        Checked("noma_p_realloc_like",
                {ValueCell(op.result), Cell(op.operands[0]), Cell(op.operands[1])}, op.loc);
        FinishResult(op);
        return;
      case OpCode::kUnreduce:
        Checked("noma_p_unreduce",
                {ValueCell(op.result), Cell(op.operands[0]), Cell(op.operands[1]),
                 Cell(op.operands[2]), b_.getInt32(op.sub)},
                op.loc);
        FinishResult(op);
        return;
    }
  }

  // A natively computed scalar: into the register, or the cell when the result is not
  // statically scalar.
  void SetScalarResult(const Op& op, llvm::Value* x) {
    if (IsScalar(op.result)) {
      SetScalar(op.result, x);
    } else {
      Call("noma_p_set_scalar", nullptr, {ValueCell(op.result), x});
    }
  }

  void EmitLoad(const Op& op) {
    llvm::Value* slot = SlotCell(op.slot);
    llvm::Value* name = Str(fn_.slots[op.slot].name);
    if (!IsScalar(op.result)) {
      Checked("noma_p_load", {ValueCell(op.result), slot, name}, op.loc);
      return;
    }
    // Fast path: the slot holds a scalar.
    llvm::Value* kind = b_.CreateLoad(m_.i64(), Field(slot, 0));
    auto* fast = NewBlock("load_scalar");
    auto* slow = NewBlock("load_checked");
    auto* done = NewBlock("loaded");
    b_.CreateCondBr(b_.CreateICmpEQ(kind, b_.getInt64(NOMA_P_SCALAR)), fast, slow);
    b_.SetInsertPoint(fast);
    SetScalar(op.result, b_.CreateLoad(m_.f64(), Field(slot, 1)));
    b_.CreateBr(done);
    b_.SetInsertPoint(slow);
    Checked("noma_p_load", {ValueCell(op.result), slot, name}, op.loc);
    FinishResult(op);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  void EmitStore(llvm::Value* slot, ValueId v) {
    if (!IsScalar(v)) {
      Call("noma_p_copy", nullptr, {slot, Cell(v)});
      return;
    }
    // Inline scalar store: release a tensor the slot may hold, then write the scalar.
    llvm::Value* kind = b_.CreateLoad(m_.i64(), Field(slot, 0));
    auto* release = NewBlock("store_release");
    auto* store = NewBlock("store");
    b_.CreateCondBr(b_.CreateICmpEQ(kind, b_.getInt64(NOMA_P_TENSOR)), release, store);
    b_.SetInsertPoint(release);
    Call("noma_p_release", nullptr, {slot});
    b_.CreateBr(store);
    b_.SetInsertPoint(store);
    b_.CreateStore(b_.getInt64(NOMA_P_SCALAR), Field(slot, 0));
    b_.CreateStore(Scalar(v), Field(slot, 1));
    b_.CreateStore(llvm::ConstantPointerNull::get(m_.ptr()), Field(slot, 2));
  }

  void EmitUnary(const Op& op, int kernel, ValueId a) {
    if (IsScalar(a)) {
      llvm::Value* x = Scalar(a);
      llvm::Value* y = kernel == static_cast<int>(runtime::UnaryKernel::kNeg)
                           ? b_.CreateFNeg(x)
                           : Call("noma_p_unary_scalar", m_.f64(), {b_.getInt32(kernel), x});
      SetScalarResult(op, y);
      return;
    }
    Checked("noma_p_unary", {ValueCell(op.result), b_.getInt32(kernel), Cell(a)}, op.loc);
    FinishResult(op);
  }

  void EmitBinary(const Op& op, runtime::BinaryKernel kernel, ValueId a, ValueId b) {
    if (IsScalar(a) && IsScalar(b)) {
      SetScalarResult(op, ScalarBinary(kernel, Scalar(a), Scalar(b)));
      return;
    }
    Checked("noma_p_binary",
            {ValueCell(op.result), b_.getInt32(static_cast<int>(kernel)), Cell(a), Cell(b)},
            op.loc);
    FinishResult(op);
  }

  // IEEE arithmetic and comparisons natively (identical to the runtime's scalar kernels);
  // fmod, pow, min, max and the logical kernels through the runtime.
  llvm::Value* ScalarBinary(runtime::BinaryKernel kernel, llvm::Value* x, llvm::Value* y) {
    auto to_f64 = [&](llvm::Value* bit) { return b_.CreateUIToFP(bit, m_.f64()); };
    switch (kernel) {
      case runtime::BinaryKernel::kAdd:
        return b_.CreateFAdd(x, y);
      case runtime::BinaryKernel::kSub:
        return b_.CreateFSub(x, y);
      case runtime::BinaryKernel::kMul:
        return b_.CreateFMul(x, y);
      case runtime::BinaryKernel::kDiv:
        return b_.CreateFDiv(x, y);
      case runtime::BinaryKernel::kMod:
        return b_.CreateFRem(x, y);  // C fmod, as the runtime's kernel.
      case runtime::BinaryKernel::kEq:
        return to_f64(b_.CreateFCmpOEQ(x, y));
      case runtime::BinaryKernel::kNe:
        return to_f64(b_.CreateFCmpUNE(x, y));
      case runtime::BinaryKernel::kLt:
        return to_f64(b_.CreateFCmpOLT(x, y));
      case runtime::BinaryKernel::kGt:
        return to_f64(b_.CreateFCmpOGT(x, y));
      case runtime::BinaryKernel::kLe:
        return to_f64(b_.CreateFCmpOLE(x, y));
      case runtime::BinaryKernel::kGe:
        return to_f64(b_.CreateFCmpOGE(x, y));
      case runtime::BinaryKernel::kAnd:
      case runtime::BinaryKernel::kOr:
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) case runtime::BinaryKernel::k##Id:
#include "noma/graph/builtins.def"
        break;
    }
    return Call("noma_p_binary_scalar", m_.f64(), {b_.getInt32(static_cast<int>(kernel)), x, y});
  }

  void EmitShortCircuit(const Op& op) {
    bool is_and = static_cast<graph::BinaryOpKind>(op.sub) == graph::BinaryOpKind::kAnd;
    ValueId lhs = op.operands[0];
    auto* decided = NewBlock("sc_decided");
    auto* evaluate = NewBlock("sc_rhs");
    auto* done = NewBlock("sc_end");
    if (IsScalar(lhs)) {
      llvm::Value* truth = b_.CreateFCmpUNE(Scalar(lhs), llvm::ConstantFP::get(m_.f64(), 0));
      // `&&` is decided by a false lhs, `||` by a true one.
      b_.CreateCondBr(truth, is_and ? evaluate : decided, is_and ? decided : evaluate);
      b_.SetInsertPoint(decided);
      SetScalarResult(op, llvm::ConstantFP::get(m_.f64(), is_and ? 0 : 1));
    } else {
      llvm::Value* status = Call("noma_p_short_circuit", m_.i32(),
                                 {ValueCell(op.result), b_.getInt32(is_and), Cell(lhs)});
      CheckPending();
      b_.CreateCondBr(b_.CreateICmpNE(status, b_.getInt32(0)), decided, evaluate);
      b_.SetInsertPoint(decided);
      FinishResult(op);
    }
    b_.CreateBr(done);
    b_.SetInsertPoint(evaluate);
    EmitRegion(op.regions[0]);
    EmitBinary(op, is_and ? runtime::BinaryKernel::kAnd : runtime::BinaryKernel::kOr, lhs,
               YieldOf(op.regions[0]));
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  void EmitBuiltin(const Op& op) {
    auto builtin = static_cast<Builtin>(op.sub);
    bool all_scalar = true;
    for (ValueId v : op.operands) all_scalar &= IsScalar(v);
    int unary = UnaryBuiltinKernel(builtin);
    if (unary >= 0 && all_scalar) {
      EmitUnary(op, unary, op.operands[0]);
      return;
    }
    runtime::BinaryKernel binary;
    if (all_scalar && op.operands.size() == 2 && graph::BinaryKernelOf(builtin, &binary)) {
      EmitBinary(op, binary, op.operands[0], op.operands[1]);
      return;
    }
    Checked("noma_p_builtin",
            {ValueCell(op.result), b_.getInt32(op.sub), OperandCells(op, 0, op.operands.size()),
             b_.getInt32(op.operands.size())},
            op.loc);
    FinishResult(op);
  }

  void EmitCall(const Op& op) {
    std::vector<llvm::Value*> args;
    for (ValueId v : op.operands) {
      if (!IsScalar(v)) Checked("noma_p_require_numeric", {Cell(v)}, op.loc);
      args.push_back(Cell(v));
    }
    llvm::Value* array = CellArray(args);
    llvm::Value* result = ValueCell(op.result);
    Call("noma_p_release", nullptr, {result});
    Checked("noma_p_enter_call", {}, op.loc);
    CheckPending();  // Stops runaway recursion before it exhausts the stack.
    b_.CreateCall(m_.Function(op.callee), {array, result});
    Call("noma_p_leave_call", nullptr, {});
    Checked("noma_p_returned_value", {result, Str(m_.module().functions[op.callee].name)}, op.loc);
    FinishResult(op);
  }

  // docs/language.md §6: forward, `until`, then one optimizer step, at most max_iterations steps;
  // with the minimize in a batch loop, steps happen per chunk and iterations count epochs.
  void EmitOptimize(const Op& op) {
    llvm::Value* max_iterations = ScalarOperand(op, graph::kOptMaxIterations, "max_iterations");
    CheckPending();
    bool step_here = op.regions.size() >= 3;
    llvm::Value* count = EntryAlloca(m_.i64());
    b_.CreateStore(b_.getInt64(0), count);
    Call("noma_p_optimize_enter", nullptr, {});
    Call("noma_p_loop_begin", nullptr,
         {Str(m_.OptimizeWhere(op.loc).substr(sizeof("optimize at ") - 1)),
          Cell(op.operands[graph::kOptLearningRate]), max_iterations, b_.getInt32(!step_here)});
    auto* loop = NewBlock("optimize");
    auto* done = NewBlock("optimize_end");
    b_.CreateBr(loop);
    b_.SetInsertPoint(loop);
    b_.CreateStore(b_.getInt64(0), minimize_count_);
    ++nan_checked_depth_;
    EmitRegion(op.regions[0]);
    if (b_.GetInsertBlock()->getTerminator()) b_.SetInsertPoint(NewBlock("dead"));
    if (step_here) {
      Checked("noma_p_check_one_minimize",
              {b_.CreateLoad(m_.i64(), minimize_count_), Str("optimize")}, op.loc);
      CheckPending();
    } else {
      b_.CreateStore(b_.CreateAdd(b_.CreateLoad(m_.i64(), count), b_.getInt64(1)), count);
    }
    EmitRegion(op.regions[1]);
    llvm::Value* until = Truth(YieldOf(op.regions[1]), op.loc);
    auto* check_cap = NewBlock("optimize_cap");
    b_.CreateCondBr(until, done, check_cap);
    b_.SetInsertPoint(check_cap);
    llvm::Value* reached =
        b_.CreateFCmpOGE(b_.CreateSIToFP(b_.CreateLoad(m_.i64(), count), m_.f64()), max_iterations);
    auto* warn = NewBlock("optimize_warn");
    auto* step = NewBlock("optimize_step");
    b_.CreateCondBr(reached, warn, step);
    b_.SetInsertPoint(warn);
    Call("noma_p_warn_max_iterations", nullptr,
         {Str(absl::StrCat("warning: ", m_.OptimizeWhere(op.loc), " reached max_iterations (")),
          max_iterations});
    b_.CreateBr(done);
    b_.SetInsertPoint(step);
    if (step_here) {
      EmitRegion(op.regions[2]);
      if (b_.GetInsertBlock()->getTerminator()) b_.SetInsertPoint(NewBlock("dead"));
      b_.CreateStore(b_.CreateAdd(b_.CreateLoad(m_.i64(), count), b_.getInt64(1)), count);
    }
    Call("noma_p_progress", nullptr,
         {Str(m_.OptimizeWhere(op.loc)), b_.CreateLoad(m_.i64(), count),
          b_.CreateLoad(m_.f64(), last_loss_)});
    b_.CreateBr(loop);
    --nan_checked_depth_;
    b_.SetInsertPoint(done);
    Call("noma_p_optimize_leave", nullptr, {});
  }

  llvm::Value* ScalarOperand(const Op& op, size_t index, const char* what) {
    ValueId v = op.operands[index];
    if (IsScalar(v)) return Scalar(v);
    llvm::Value* out = EntryAlloca(m_.f64());
    Checked("noma_p_scalar_arg", {Cell(v), Str(what), out}, op.loc);
    return b_.CreateLoad(m_.f64(), out);
  }

  void EmitBatch(const Op& op) {
    size_t sources = op.operands.size() - 1;
    std::vector<llvm::Value*> source_cells;
    for (size_t i = 0; i < sources; ++i) source_cells.push_back(Cell(op.operands[i]));
    llvm::Value* array = CellArray(source_cells);
    llvm::Value* rows = EntryAlloca(m_.i64());
    llvm::Value* chunk = EntryAlloca(m_.i64());
    Checked("noma_p_batch_setup",
            {array, b_.getInt32(sources), Cell(op.operands[sources]), rows, chunk}, op.loc);
    CheckPending();
    llvm::Value* begin = EntryAlloca(m_.i64());
    llvm::Value* index = EntryAlloca(m_.i64());
    b_.CreateStore(b_.getInt64(0), begin);
    b_.CreateStore(b_.getInt64(0), index);
    bool steps = op.regions.size() > 1;
    auto* head = NewBlock("batch");
    auto* body = NewBlock("batch_body");
    auto* done = NewBlock("batch_end");
    b_.CreateBr(head);
    b_.SetInsertPoint(head);
    CheckPending();
    llvm::Value* start = b_.CreateLoad(m_.i64(), begin);
    llvm::Value* total = b_.CreateLoad(m_.i64(), rows);
    b_.CreateCondBr(b_.CreateICmpSLT(start, total), body, done);
    b_.SetInsertPoint(body);
    llvm::Value* end = b_.CreateAdd(start, b_.CreateLoad(m_.i64(), chunk));
    end = b_.CreateSelect(b_.CreateICmpSLT(total, end), total, end);
    for (size_t i = 0; i < sources; ++i) {
      // The sources' cells are read again: the body cannot change a value.
      Checked(
          "noma_p_slice_rows",
          {SlotCell(static_cast<graph::SlotId>(op.ints[i])), ValueCell(op.operands[i]), start, end},
          op.loc);
    }
    if (op.ints[sources] != static_cast<int64_t>(graph::kNone)) {
      Call("noma_p_set_scalar", nullptr,
           {SlotCell(static_cast<graph::SlotId>(op.ints[sources])),
            b_.CreateSIToFP(b_.CreateLoad(m_.i64(), index), m_.f64())});
    }
    b_.CreateStore(b_.getInt64(0), minimize_count_);
    EmitRegion(op.regions[0]);
    if (b_.GetInsertBlock()->getTerminator()) b_.SetInsertPoint(NewBlock("dead"));
    if (steps) {
      Checked("noma_p_check_one_minimize", {b_.CreateLoad(m_.i64(), minimize_count_), Str("batch")},
              op.loc);
      CheckPending();
      EmitRegion(op.regions[1]);
      if (b_.GetInsertBlock()->getTerminator()) b_.SetInsertPoint(NewBlock("dead"));
      Call("noma_p_batch_step", nullptr, {b_.CreateLoad(m_.f64(), last_loss_)});
    }
    b_.CreateStore(end, begin);
    b_.CreateStore(b_.CreateAdd(b_.CreateLoad(m_.i64(), index), b_.getInt64(1)), index);
    b_.CreateBr(head);
    b_.SetInsertPoint(done);
  }

  ModuleEmitter& m_;
  const graph::Function& fn_;
  llvm::Function* llvm_fn_;
  llvm::IRBuilder<> b_;
  llvm::Value* cells_ = nullptr;
  llvm::Value* slots_ = nullptr;
  std::vector<llvm::Value*> scalars_;
  llvm::Value* tapes_ = nullptr;
  llvm::Value* minimize_count_ = nullptr;
  llvm::Value* last_loss_ = nullptr;
  llvm::Value* return_code_ = nullptr;
  llvm::Value* saved_depth_ = nullptr;
  bool has_optimize_ = false;
  int nan_checked_depth_ = 0;            // > 0 where ops may run inside an optimize loop.
  std::vector<graph::OpId> fused_into_;  // Per op: the root of the chain computing it.
  std::set<graph::OpId> folded_transposes_;
  std::map<graph::OpId, TransposedMatmul> transposed_matmuls_;  // By matmul.
  std::map<graph::OpId, FusionGroup> fusion_groups_;            // By root.
  llvm::BasicBlock* exit_ = nullptr;
  llvm::BasicBlock* error_ = nullptr;
};

}  // namespace

namespace {
absl::StatusOr<std::unique_ptr<llvm::Module>> EmitModuleImpl(
    const graph::Module& module, const syntax::SourceManager& sources, llvm::LLVMContext& context,
    bool with_main, const std::string& library, const std::string& gpu_ptx);
}  // namespace

bool IsLibraryName(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string LibraryEntryName(const std::string& library, const std::string& function) {
  return absl::StrCat(library, "_", function);
}

absl::StatusOr<std::unique_ptr<llvm::Module>> EmitModule(const graph::Module& module,
                                                         const syntax::SourceManager& sources,
                                                         llvm::LLVMContext& context, bool with_main,
                                                         const std::string& gpu_ptx) {
  return EmitModuleImpl(module, sources, context, with_main, "", gpu_ptx);
}

absl::StatusOr<std::unique_ptr<llvm::Module>> EmitLibraryModule(
    const graph::Module& module, const syntax::SourceManager& sources, llvm::LLVMContext& context,
    const std::string& library) {
  if (!IsLibraryName(library)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid library name '", library, "' (use a C identifier)"));
  }
  return EmitModuleImpl(module, sources, context, false, library, "");
}

namespace {

absl::StatusOr<std::unique_ptr<llvm::Module>> EmitModuleImpl(
    const graph::Module& module, const syntax::SourceManager& sources, llvm::LLVMContext& context,
    bool with_main, const std::string& library, const std::string& gpu_ptx) {
  if (module.main == graph::kNone) return absl::InvalidArgumentError("the program has no main");
  ModuleEmitter emitter(module, sources, context);
  emitter.SetLibrary(library);
  emitter.DeclareFunctions();
  for (uint32_t i = 0; i < module.functions.size(); ++i) FunctionEmitter(emitter, i).Emit();
  emitter.EmitProgram(with_main, gpu_ptx);
  std::unique_ptr<llvm::Module> result = emitter.TakeModule();
  std::string problems;
  llvm::raw_string_ostream stream(problems);
  if (llvm::verifyModule(*result, &stream)) {
    return absl::InternalError(absl::StrCat("generated invalid LLVM IR: ", stream.str()));
  }
  return result;
}

}  // namespace

}  // namespace noma::codegen
