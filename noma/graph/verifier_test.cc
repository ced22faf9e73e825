#include "noma/graph/verifier.h"

#include "gtest/gtest.h"

namespace noma::graph {
namespace {

// main() { %0 = const 1; store @x %0 }
Module SmallModule() {
  Module module;
  Function fn;
  fn.name = "main";
  fn.body = fn.NewRegion(kNone);
  fn.slots.push_back(Slot{"x", false, false, {}});
  Op constant;
  constant.code = OpCode::kConst;
  constant.number = 1;
  constant.result = fn.NewValue(Type::Scalar());
  fn.Append(fn.body, constant);
  Op store;
  store.code = OpCode::kStore;
  store.slot = 0;
  store.operands = {constant.result};
  fn.Append(fn.body, store);
  module.functions.push_back(std::move(fn));
  module.main = 0;
  return module;
}

TEST(VerifierTest, AcceptsWellFormedModule) { EXPECT_TRUE(Verify(SmallModule()).ok()); }

TEST(VerifierTest, RejectsUseBeforeDefinition) {
  Module module = SmallModule();
  Function& fn = module.functions[0];
  std::swap(fn.regions[fn.body].ops[0], fn.regions[fn.body].ops[1]);
  absl::Status status = Verify(module);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("not defined before it"), std::string::npos);
}

TEST(VerifierTest, RejectsValueEscapingItsRegion) {
  Module module = SmallModule();
  Function& fn = module.functions[0];
  // if %0 { %2 = const 5 } {}; store @x %2  -- %2 is out of scope after the if.
  RegionId then_region = fn.NewRegion(fn.body);
  RegionId else_region = fn.NewRegion(fn.body);
  Op inner;
  inner.code = OpCode::kConst;
  inner.result = fn.NewValue(Type::Scalar());
  fn.Append(then_region, inner);
  Op branch;
  branch.code = OpCode::kIf;
  branch.operands = {0};
  branch.regions = {then_region, else_region};
  fn.Append(fn.body, branch);
  Op store;
  store.code = OpCode::kStore;
  store.slot = 0;
  store.operands = {inner.result};
  fn.Append(fn.body, store);
  EXPECT_FALSE(Verify(module).ok());
}

TEST(VerifierTest, RejectsBadSlotAndArity) {
  Module module = SmallModule();
  module.functions[0].ops[1].slot = 7;
  EXPECT_FALSE(Verify(module).ok());
  Module arity = SmallModule();
  arity.functions[0].ops[1].operands.push_back(0);
  EXPECT_FALSE(Verify(arity).ok());
}

TEST(VerifierTest, RejectsWhileWithoutYield) {
  Module module = SmallModule();
  Function& fn = module.functions[0];
  Op loop;
  loop.code = OpCode::kWhile;
  loop.regions = {fn.NewRegion(fn.body), fn.NewRegion(fn.body)};
  fn.Append(fn.body, loop);
  EXPECT_FALSE(Verify(module).ok());
}

}  // namespace
}  // namespace noma::graph
