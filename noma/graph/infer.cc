#include "noma/graph/infer.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

namespace noma::graph {
namespace {

// The most precise type describing both `a` and `b`.
Type Join(const Type& a, const Type& b) {
  if (a == b) return a;
  if (a.kind == Type::kTensor && b.kind == Type::kTensor) {
    if (a.rank != b.rank || a.rank < 0) return Type::Tensor();
    Type t = Type::Tensor(a.rank);
    for (int i = 0; i < a.rank; ++i) t.dims[i] = a.dims[i] == b.dims[i] ? a.dims[i] : -1;
    return t;
  }
  return Type::Unknown();
}

}  // namespace

Type BroadcastTypes(const Type& a, const Type& b) {
  if (a.kind == Type::kScalar && b.kind == Type::kScalar) return Type::Scalar();
  if (a.kind == Type::kScalar && b.kind == Type::kTensor) return b;
  if (b.kind == Type::kScalar && a.kind == Type::kTensor) return a;
  if (a.kind != Type::kTensor || b.kind != Type::kTensor) {
    return a.kind == Type::kTensor || b.kind == Type::kTensor ? Type::Tensor() : Type::Unknown();
  }
  if (a.rank < 0 || b.rank < 0) return Type::Tensor();
  int rank = std::max(a.rank, b.rank);
  Type t = Type::Tensor(rank);
  for (int i = 0; i < rank; ++i) {
    int ia = i - (rank - a.rank), ib = i - (rank - b.rank);
    int64_t da = ia < 0 ? 1 : a.dims[ia], db = ib < 0 ? 1 : b.dims[ib];
    t.dims[i] = da == 1 ? db : db == 1 ? da : (da == db ? da : -1);
  }
  return t;
}

namespace {

// A tensor type whose dims come from constant arguments [first, end); -1 where not constant.
Type ShapeFromConstants(const std::vector<std::optional<double>>& constants, size_t first,
                        size_t end) {
  std::vector<int64_t> dims;
  for (size_t i = first; i < end; ++i) {
    std::optional<double> d = i < constants.size() ? constants[i] : std::nullopt;
    dims.push_back(d && *d >= 0 && *d == static_cast<int64_t>(*d) ? static_cast<int64_t>(*d) : -1);
  }
  return Type::TensorOf(std::move(dims));
}

class Inferrer {
 public:
  explicit Inferrer(Function& fn) : fn_(fn) {}

  void Run() {
    // Arguments are only known at run time.
    for (SlotId p : fn_.params) slots_[p] = Type::Unknown();
    // Loops carry values around, so iterate to a fixed point; the lattice is shallow (a type
    // only ever moves towards less precise), so a few rounds suffice.
    for (int round = 0; round < 8; ++round) {
      changed_ = false;
      Visit(fn_.body);
      if (!changed_) break;
    }
  }

 private:
  void Set(ValueId v, const Type& t) {
    if (fn_.value_types[v] != t) {
      fn_.value_types[v] = t;
      changed_ = true;
    }
  }

  void StoreTo(SlotId slot, const Type& t) {
    auto it = slots_.find(slot);
    Type joined = it == slots_.end() ? t : Join(it->second, t);
    if (it == slots_.end() || it->second != joined) {
      slots_[slot] = joined;
      changed_ = true;
    }
  }

  const Type& TypeOf(ValueId v) const { return fn_.value_types[v]; }

  // The constant behind a value, if it is one.
  std::optional<double> Constant(ValueId v) const {
    auto it = constants_.find(v);
    if (it == constants_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<std::optional<double>> Constants(const Op& op) const {
    std::vector<std::optional<double>> constants;
    for (ValueId v : op.operands) constants.push_back(Constant(v));
    return constants;
  }

  Type BuiltinResult(const Op& op) const {
    std::vector<Type> args;
    for (ValueId v : op.operands) args.push_back(TypeOf(v));
    return BuiltinResultType(static_cast<Builtin>(op.sub), args, Constants(op));
  }

  void Visit(RegionId region) {
    for (OpId id : fn_.regions[region].ops) {
      const Op& op = fn_.ops[id];
      switch (op.code) {
        case OpCode::kConst:
          constants_[op.result] = op.number;
          Set(op.result, Type::Scalar());
          break;
        case OpCode::kStringConst:
          Set(op.result, Type::String());
          break;
        case OpCode::kTensorLit:
          Set(op.result, Type::TensorOf(op.ints));
          break;
        case OpCode::kLoad: {
          auto it = slots_.find(op.slot);
          if (it != slots_.end()) Set(op.result, it->second);
          break;
        }
        case OpCode::kStore:
          StoreTo(op.slot, TypeOf(op.operands[0]));
          break;
        case OpCode::kAlloc:
        case OpCode::kRealloc:
          StoreTo(op.slot, ShapeFromConstants(Constants(op), 0, op.operands.size()));
          break;
        case OpCode::kLoadCsv:
          StoreTo(op.slot, Type::Tensor(2));
          break;
        case OpCode::kLoadSafetensors:
        case OpCode::kBatch:
          // Shapes come from files and chunking; the batch index slot is a scalar, but one
          // unknown type for every slot these ops write keeps the rule simple and sound.
          for (int64_t s : op.ints) {
            if (s != static_cast<int64_t>(kNone)) StoreTo(static_cast<SlotId>(s), Type::Unknown());
          }
          break;
        case OpCode::kUnary:
          Set(op.result, TypeOf(op.operands[0]));
          break;
        case OpCode::kBinary:
        case OpCode::kShortCircuit:
          if (op.code == OpCode::kBinary) {
            Set(op.result, BroadcastTypes(TypeOf(op.operands[0]), TypeOf(op.operands[1])));
          }
          break;
        case OpCode::kBuiltin:
          Set(op.result, BuiltinResult(op));
          break;
        case OpCode::kIndex: {
          const Type& t = TypeOf(op.operands[0]);
          if (t.kind == Type::kTensor && t.rank == 1) {
            Set(op.result, Type::Scalar());
          } else if (t.kind == Type::kTensor && t.rank > 1) {
            Set(op.result, Type::TensorOf(std::vector<int64_t>(t.dims.begin() + 1, t.dims.end())));
          }
          break;
        }
        case OpCode::kCall:
        case OpCode::kYield:
        case OpCode::kIf:
        case OpCode::kWhile:
        case OpCode::kReturn:
        case OpCode::kOptimize:
        case OpCode::kMinimize:
        case OpCode::kFree:
        case OpCode::kResetOptimizer:
        case OpCode::kSaveCsv:
        case OpCode::kSaveSafetensors:
        case OpCode::kTapePush:
        case OpCode::kTapePop:
        case OpCode::kSumToShape:
        case OpCode::kIndexAdjoint:
        case OpCode::kZerosLike:
        case OpCode::kReallocLike:
        case OpCode::kUnreduce:
          break;
      }
      for (RegionId nested : op.regions) Visit(nested);
    }
  }

  Function& fn_;
  std::map<SlotId, Type> slots_;  // Join of everything stored so far (absent: never stored).
  std::map<ValueId, double> constants_;
  bool changed_ = false;
};

}  // namespace

void InferTypes(Function& function) { Inferrer(function).Run(); }

Type BuiltinResultType(Builtin builtin, const std::vector<Type>& args,
                       const std::vector<std::optional<double>>& constants) {
  auto constant = [&](size_t i) { return i < constants.size() ? constants[i] : std::nullopt; };
  switch (builtin) {
    case Builtin::kSum:
    case Builtin::kMean: {
      if (args.size() == 1) return Type::Scalar();
      const Type& t = args[0];
      if (t.kind != Type::kTensor || t.rank < 1) return Type::Unknown();
      if (t.rank == 1) return Type::Scalar();
      Type out = Type::Tensor(t.rank - 1);
      if (std::optional<double> axis = constant(1)) {
        int a = static_cast<int>(*axis);
        if (a < 0) a += t.rank;
        if (a >= 0 && a < t.rank) {
          out.dims = t.dims;
          out.dims.erase(out.dims.begin() + a);
        }
      }
      return out;
    }
    case Builtin::kMatmul: {
      Type out = Type::Tensor(2);
      if (args[0].rank == 2) out.dims[0] = args[0].dims[0];
      if (args[1].rank == 2) out.dims[1] = args[1].dims[1];
      return out;
    }
    case Builtin::kTranspose: {
      const Type& t = args[0];
      if (t.rank == 2) return Type::TensorOf({t.dims[1], t.dims[0]});
      return t.rank == 1 ? t : Type::Tensor(2);
    }
    case Builtin::kShape:
      return Type::TensorOf({args[0].rank});
    case Builtin::kDot:
    case Builtin::kLen:
    case Builtin::kRand:
    case Builtin::kRandUniform:
    case Builtin::kRandNormal:
    case Builtin::kSeed:
      return Type::Scalar();
    case Builtin::kRandTensor:
      return ShapeFromConstants(constants, 0, args.size());
    case Builtin::kRandNormalTensor:
    case Builtin::kXavierInit:
      return ShapeFromConstants(constants, 2, args.size());
    case Builtin::kHeInit:
      return ShapeFromConstants(constants, 1, args.size());
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) case Builtin::k##Id:
#include "noma/graph/builtins.def"
      return BroadcastTypes(args[0], args[1]);
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) case Builtin::k##Id:
#include "noma/graph/builtins.def"
    case Builtin::kPrint:
      return args[0];  // Unary elementwise builtins and print keep their operand's type.
  }
  return Type::Unknown();
}

}  // namespace noma::graph
