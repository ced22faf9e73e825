#include "noma/graph/ir.h"

#include <iterator>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace noma::graph {
namespace {

constexpr bool kDifferentiable = true, kNotDifferentiable = false;
constexpr BuiltinInfo kBuiltins[] = {
#define NOMA_BUILTIN(Id, name, min_args, max_args, Differentiability) \
  {name, min_args, max_args, k##Differentiability, 0},
#define NOMA_UNARY_ELEMENTWISE(Id, name, Differentiability) {name, 1, 1, k##Differentiability, 1},
#define NOMA_BINARY_ELEMENTWISE(Id, name, Differentiability) {name, 2, 2, k##Differentiability, 2},
#include "noma/graph/builtins.def"
};
static_assert(std::size(kBuiltins) == kBuiltinCount);

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

BuiltinDoc GetBuiltinDoc(Builtin builtin) {
  // No default arm: a builtin without NOMA_BUILTIN_DOC is a -Wswitch error.
  switch (builtin) {
#define NOMA_BUILTIN_DOC(Id, signature, doc) \
  case Builtin::k##Id:                       \
    return {signature, doc};
#include "noma/graph/builtins.def"
  }
  return {"", ""};
}

bool LookupBuiltin(const std::string& name, Builtin* builtin) {
  static const auto* by_name = [] {
    auto* map = new absl::flat_hash_map<std::string, Builtin>();
    for (size_t i = 0; i < std::size(kBuiltins); ++i) {
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
#define NOMA_OP(Id, name, ComputesValue, Differentiability) name,
#include "noma/graph/ops.def"
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
  constexpr bool kComputes = true, kMoves = false;
  static constexpr bool kTable[] = {
#define NOMA_OP(Id, name, ComputesValue, Differentiability) k##ComputesValue,
#include "noma/graph/ops.def"
  };
  return kTable[static_cast<int>(code)];
}

std::string NanCheckName(const Op& op) {
  const char* name = op.code == OpCode::kBinary ? BinaryOpName(static_cast<BinaryOpKind>(op.sub))
                     : op.code == OpCode::kBuiltin
                         ? GetBuiltinInfo(static_cast<Builtin>(op.sub)).name
                         : OpCodeName(op.code);
  return absl::StrCat("'", name, "'");
}

}  // namespace noma::graph
