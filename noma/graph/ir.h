#ifndef NOMA_GRAPH_IR_H_
#define NOMA_GRAPH_IR_H_

// The NOMA graph IR: per function, a flat arena of operations grouped into regions. Structured
// control flow (if, while, optimize, batch) owns nested regions, so loops and branches run at
// run time rather than being unrolled. Operations produce at most one SSA value; a value may be
// used by later operations of its region and of regions nested inside it. Named program
// variables live in slots (load/store), which keeps shadowing, snapshots and loops simple and
// lets reverse-mode AD give each slot an adjoint.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "noma/syntax/source.h"

namespace noma::graph {

using ValueId = uint32_t;
using OpId = uint32_t;
using RegionId = uint32_t;
using SlotId = uint32_t;
inline constexpr uint32_t kNone = UINT32_MAX;

// A dim of a static tensor type is a constant (>= 0), a symbol (<= -2: a size known only at
// run time, named after where it comes from; see ShapeSymbols), or kUnknownDim.
inline constexpr int64_t kUnknownDim = -1;
inline bool IsConstantDim(int64_t dim) { return dim >= 0; }
inline bool IsSymbolDim(int64_t dim) { return dim <= -2; }
inline int64_t SymbolDim(int64_t symbol) { return -2 - symbol; }
inline int64_t SymbolOfDim(int64_t dim) { return -2 - dim; }

// Static type: scalars, tensors (rank known when >= 0), strings, or unknown until run time
// (a function parameter, say). Dims are constants where known, else symbols.
struct Type {
  enum Kind : uint8_t { kUnknown, kScalar, kTensor, kString, kVoid };
  Kind kind = kUnknown;
  int rank = -1;              // For kTensor; -1 = not known statically.
  std::vector<int64_t> dims;  // For kTensor with known rank: each dim (see IsConstantDim).
  static Type Unknown() { return {}; }
  static Type Scalar() { return {kScalar, 0, {}}; }
  static Type Tensor(int rank = -1) {
    return {kTensor, rank, std::vector<int64_t>(rank < 0 ? 0 : rank, -1)};
  }
  static Type TensorOf(std::vector<int64_t> dims) {
    int rank = static_cast<int>(dims.size());
    return {kTensor, rank, std::move(dims)};
  }
  static Type String() { return {kString, -1, {}}; }
  static Type Void() { return {kVoid, -1, {}}; }
  friend bool operator==(const Type& a, const Type& b) {
    return a.kind == b.kind && a.rank == b.rank && a.dims == b.dims;
  }
  friend bool operator!=(const Type& a, const Type& b) { return !(a == b); }
};
// "scalar", "tensor<2x3>", "tensor<?x3>" (rank known, a dim not), "tensor" (rank unknown),
// "string", "any".
std::string TypeToString(const Type& type);

// Where a symbolic dim comes from: "rows of the table read by load_csv", with the place.
struct ShapeSymbol {
  std::string origin;
  syntax::SourceRange loc;
};

// The symbolic dims of a module. Inference makes one symbol per site (a dim of an op's result,
// of a variable where paths join, of a parameter...) and finds the same one again on every
// pass, so a name is stable and inference reaches a fixed point. Two values with the same
// symbol computed in the same execution of its site have equal dims; diagnostics only ever
// prove errors from constant dims.
class ShapeSymbols {
 public:
  enum class SiteKind : uint8_t { kOpResult, kJoin, kParam, kReturn, kTape, kVariable };
  struct Site {
    SiteKind kind;
    uint32_t function;
    uint32_t id;    // The op (kOpResult, kJoin), slot (kParam, kVariable) or tape id.
    uint32_t slot;  // kJoin: the variable joined; else kNone.
    int32_t dim;
    friend bool operator<(const Site& a, const Site& b) {
      return std::tie(a.kind, a.function, a.id, a.slot, a.dim) <
             std::tie(b.kind, b.function, b.id, b.slot, b.dim);
    }
  };
  // The dim (SymbolDim) naming `site`; `describe` gives its ShapeSymbol on first use.
  template <typename Describe>
  int64_t DimFor(const Site& site, Describe describe) {
    auto it = ids_.find(site);
    if (it != ids_.end()) return SymbolDim(it->second);
    int64_t id = static_cast<int64_t>(symbols_.size());
    symbols_.push_back(describe());
    ids_.emplace(site, id);
    return SymbolDim(id);
  }
  // The symbol behind a dim with IsSymbolDim.
  const ShapeSymbol& Get(int64_t dim) const { return symbols_[SymbolOfDim(dim)]; }
  size_t size() const { return symbols_.size(); }

 private:
  std::map<Site, int64_t> ids_;
  std::vector<ShapeSymbol> symbols_;
};

// The builtin functions, from the registry (builtins.def).
enum class Builtin : uint8_t {
#define NOMA_BUILTIN(Id, name, min_args, max_args, Differentiability) k##Id,
#include "noma/graph/builtins.def"
};
inline constexpr int kBuiltinCount = 0
#define NOMA_BUILTIN(Id, name, min_args, max_args, Differentiability) +1
#include "noma/graph/builtins.def"
    ;
struct BuiltinInfo {
  const char* name;
  int min_args;
  int max_args;  // -1: variadic.
  bool differentiable;
  // Elementwise builtins: 1 (unary kernel) or 2 (binary kernel, broadcasting); else 0.
  int elementwise_arity;
};
const BuiltinInfo& GetBuiltinInfo(Builtin builtin);
// Looks a builtin up by name; false if there is none.
bool LookupBuiltin(const std::string& name, Builtin* builtin);
// How a call is written ("matmul(A, B)") and what it computes in one line, for editors.
struct BuiltinDoc {
  const char* signature;
  const char* doc;
};
BuiltinDoc GetBuiltinDoc(Builtin builtin);

enum class UnaryOpKind : uint8_t { kNeg, kNot, kCastF32, kCastI32, kCastI64 };
enum class BinaryOpKind : uint8_t {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEq,
  kNe,
  kLt,
  kGt,
  kLe,
  kGe,
  kAnd,
  kOr
};
const char* UnaryOpName(UnaryOpKind op);
const char* BinaryOpName(BinaryOpKind op);

// The IR's operations, from the registry (ops.def, which documents each one's operands).
enum class OpCode : uint8_t {
#define NOMA_OP(Id, name, ComputesValue, Differentiability) k##Id,
#include "noma/graph/ops.def"
};
const char* OpCodeName(OpCode code);

// --check-nan (docs/language.md §5) checks the values that operations compute: every op with a
// result except those that only move a value (constants, loads, tape pops, strings), so a NaN
// is reported where it is produced. Every execution mode uses this one rule.
bool ComputesValue(OpCode code);
// How --check-nan names the op in its message: "'+'", "'log'", "'matmul'", "'call'"...
std::string NanCheckName(const struct Op& op);

// Operand positions of kOptimize.
enum OptimizeOperand : uint32_t {
  kOptLearningRate,
  kOptMaxIterations,
  kOptBeta1,
  kOptBeta2,
  kOptEpsilon,
  kOptKind,
  kOptOperandCount,
};
// Values of the optimizer kind operand (the `optimizer` magic variable).
inline constexpr double kOptimizerSgd = 1, kOptimizerAdam = 2, kOptimizerRmsprop = 3;

struct Op {
  OpCode code;
  syntax::SourceRange loc;
  std::vector<ValueId> operands;
  ValueId result = kNone;
  std::vector<RegionId> regions;
  SlotId slot = kNone;                        // kLoad, kStore, kAlloc, kRealloc, kFree, kLoadCsv
  double number = 0;                          // kConst; tape id
  uint8_t sub = 0;                            // UnaryOpKind / BinaryOpKind / Builtin
  uint32_t callee = kNone;                    // kCall: function index
  std::vector<int64_t> ints;                  // kTensorLit shape; slot lists
  std::vector<std::string> keys;              // safetensors keys; kStringConst text in keys[0]
  std::vector<syntax::SourceRange> int_locs;  // kOptimize: where each named parameter is written
};

struct Region {
  std::vector<OpId> ops;
  RegionId parent = kNone;
};

struct Slot {
  std::string name;
  bool learnable = false;  // Declared with `learn` somewhere in the function.
  bool synthetic = false;  // Created by a pass (adjoints, optimizer state).
  syntax::SourceRange decl;
};

struct Function {
  std::string name;
  syntax::SourceRange loc;
  std::vector<SlotId> params;  // Slots bound to the arguments, in order.
  std::vector<Op> ops;
  std::vector<Region> regions;
  std::vector<Type> value_types;  // Indexed by ValueId.
  std::vector<Slot> slots;
  RegionId body = kNone;
  // What inference learned from the call sites (one type per parameter; empty before the
  // first inference). Kept so that inference after differentiation still knows the types of
  // functions whose calls were inlined.
  std::vector<Type> param_types;
  // A copy of function `specialization_of` made for one kind of arguments (specialize.h), or
  // kNone. Copies keep the name; they are not entry points of libraries.
  uint32_t specialization_of = kNone;
  // Set by inference: the join of what the function returns, and per slot the join of every
  // value it holds (`noma check --shapes`; absent kind: never written).
  Type result_type;
  std::vector<Type> slot_types;

  ValueId NewValue(Type type);
  RegionId NewRegion(RegionId parent);
  // Appends an op to `region`; returns its id.
  OpId Append(RegionId region, Op op);
};

struct Module {
  std::vector<Function> functions;
  uint32_t main = kNone;  // Index of `main`.
  syntax::FileId file = syntax::kNoFile;
  ShapeSymbols symbols;
  int FindFunction(const std::string& name) const;
};

}  // namespace noma::graph

#endif  // NOMA_GRAPH_IR_H_
