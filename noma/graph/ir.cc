#include "noma/graph/ir.h"

#include <array>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace noma::graph {
namespace {

constexpr std::array<BuiltinInfo, static_cast<size_t>(Builtin::kPrint) + 1> kBuiltins = {{
    {"sigmoid", 1, 1, true},
    {"relu", 1, 1, true},
    {"tanh", 1, 1, true},
    {"exp", 1, 1, true},
    {"log", 1, 1, true},
    {"sqrt", 1, 1, true},
    {"sin", 1, 1, true},
    {"cos", 1, 1, true},
    {"tan", 1, 1, true},
    {"abs", 1, 1, true},
    {"pow", 2, 2, true},
    {"min", 2, 2, true},
    {"max", 2, 2, true},
    {"floor", 1, 1, false},
    {"ceil", 1, 1, false},
    {"sum", 1, 2, true},
    {"mean", 1, 2, true},
    {"dot", 2, 2, true},
    {"matmul", 2, 2, true},
    {"transpose", 1, 1, true},
    {"shape", 1, 1, false},
    {"len", 1, 1, false},
    {"rand", 0, 0, false},
    {"rand_uniform", 2, 2, false},
    {"rand_normal", 2, 2, false},
    {"rand_tensor", 1, -1, false},
    {"rand_normal_tensor", 3, -1, false},
    {"xavier_init", 3, -1, false},
    {"he_init", 2, -1, false},
    {"seed", 1, 1, false},
    {"print", 1, 1, true},
}};

}  // namespace

std::string TypeToString(const Type& type) {
  switch (type.kind) {
    case Type::kUnknown:
      return "any";
    case Type::kScalar:
      return "scalar";
    case Type::kTensor: {
      if (type.rank < 0) return "tensor";
      std::vector<std::string> dims;
      for (int64_t d : type.dims) dims.push_back(d < 0 ? "?" : absl::StrCat(d));
      return absl::StrCat("tensor<", absl::StrJoin(dims, "x"), ">");
    }
    case Type::kString:
      return "string";
    case Type::kVoid:
      return "void";
  }
  return "?";
}

const BuiltinInfo& GetBuiltinInfo(Builtin builtin) {
  return kBuiltins[static_cast<size_t>(builtin)];
}

bool LookupBuiltin(const std::string& name, Builtin* builtin) {
  static const auto* by_name = [] {
    auto* map = new absl::flat_hash_map<std::string, Builtin>();
    for (size_t i = 0; i < kBuiltins.size(); ++i) {
      (*map)[kBuiltins[i].name] = static_cast<Builtin>(i);
    }
    return map;
  }();
  auto it = by_name->find(name);
  if (it == by_name->end()) return false;
  *builtin = it->second;
  return true;
}

const char* UnaryOpName(UnaryOpKind op) {
  switch (op) {
    case UnaryOpKind::kNeg:
      return "neg";
    case UnaryOpKind::kNot:
      return "not";
    case UnaryOpKind::kCastF32:
      return "cast_f32";
    case UnaryOpKind::kCastI32:
      return "cast_i32";
    case UnaryOpKind::kCastI64:
      return "cast_i64";
  }
  return "?";
}

const char* BinaryOpName(BinaryOpKind op) {
  static constexpr const char* kNames[] = {"add", "sub", "mul", "div", "mod", "pow", "eq",
                                           "ne",  "lt",  "gt",  "le",  "ge",  "and", "or"};
  return kNames[static_cast<int>(op)];
}

const char* OpCodeName(OpCode code) {
  static constexpr const char* kNames[] = {
      "const",
      "string",
      "tensor",
      "load",
      "store",
      "unary",
      "binary",
      "short_circuit",
      "builtin",
      "call",
      "index",
      "yield",
      "if",
      "while",
      "return",
      "optimize",
      "minimize",
      "alloc",
      "realloc",
      "free",
      "reset_optimizer",
      "load_csv",
      "save_csv",
      "load_safetensors",
      "save_safetensors",
      "batch",
      "tape_push",
      "tape_pop",
      "sum_to_shape",
      "index_adjoint",
      "zeros_like",
      "realloc_like",
      "unreduce",
  };
  return kNames[static_cast<int>(code)];
}

ValueId Function::NewValue(Type type) {
  value_types.push_back(type);
  return static_cast<ValueId>(value_types.size() - 1);
}

RegionId Function::NewRegion(RegionId parent) {
  Region region;
  region.parent = parent;
  regions.push_back(std::move(region));
  return static_cast<RegionId>(regions.size() - 1);
}

OpId Function::Append(RegionId region, Op op) {
  ops.push_back(std::move(op));
  OpId id = static_cast<OpId>(ops.size() - 1);
  regions[region].ops.push_back(id);
  return id;
}

int Module::FindFunction(const std::string& name) const {
  for (size_t i = 0; i < functions.size(); ++i) {
    if (functions[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

bool ComputesValue(OpCode code) {
  switch (code) {
    case OpCode::kConst:
    case OpCode::kStringConst:
    case OpCode::kLoad:
    case OpCode::kTapePop:
      return false;
    default:
      return true;
  }
}

std::string NanCheckName(const Op& op) {
  switch (op.code) {
    case OpCode::kBinary:
      return std::string("'") + BinaryOpName(static_cast<BinaryOpKind>(op.sub)) + "'";
    case OpCode::kBuiltin:
      return std::string("'") + GetBuiltinInfo(static_cast<Builtin>(op.sub)).name + "'";
    default:
      return std::string("'") + OpCodeName(op.code) + "'";
  }
}

}  // namespace noma::graph
