// The small implementation of base.h (standalone executables' runtime) against Abseil's, which
// the compiler's build of the runtime uses: the same results and texts.
#include "noma/runtime/base.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

#ifdef NOMA_RUNTIME_ABSL
#error "base_test checks the small implementation; build it without NOMA_RUNTIME_ABSL"
#endif

namespace noma::base {
namespace {

TEST(BaseTest, StrCatMatchesAbsl) {
  EXPECT_EQ(StrCat("a", std::string("b"), string_view("c"), 42, -7,
                   int64_t{-9223372036854775807 - 1}, uint64_t{18446744073709551615u}, size_t{3}),
            absl::StrCat("a", std::string("b"), "c", 42, -7, int64_t{-9223372036854775807 - 1},
                         uint64_t{18446744073709551615u}, size_t{3}));
  for (double v :
       {0.0, -0.0, 1.0, 0.1, 1e6, 123456.0, 1234567.0, 1e-5, 2.5e-7, 8.0, 1e300,
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
        std::nan(""), -std::nan(""), 0.30000000000000004, 1.0 / 3}) {
    EXPECT_EQ(StrCat(v), absl::StrCat(v)) << v;
  }
  std::string out = "x";
  StrAppend(&out, "y", 1, "z");
  EXPECT_EQ(out, "xy1z");
}

TEST(BaseTest, SimpleAtoiMatchesAbsl) {
  for (const char* text : {"0",
                           "12",
                           "-12",
                           "+12",
                           " 7 ",
                           "\t8\n",
                           "",
                           " ",
                           "-",
                           "+",
                           "1x",
                           "x1",
                           "1 2",
                           "0x10",
                           "9223372036854775807",
                           "9223372036854775808",
                           "-9223372036854775808",
                           "-9223372036854775809",
                           "18446744073709551615",
                           "18446744073709551616",
                           "2147483647",
                           "2147483648",
                           "-2147483648",
                           "-2147483649",
                           "-0",
                           "007",
                           "1e3",
                           "1.0"}) {
    int64_t a = 0, b = 0;
    EXPECT_EQ(SimpleAtoi(text, &a), absl::SimpleAtoi(text, &b)) << "'" << text << "'";
    if (absl::SimpleAtoi(text, &b)) {
      EXPECT_EQ(a, b) << text;
    }
    uint64_t ua = 0, ub = 0;
    EXPECT_EQ(SimpleAtoi(text, &ua), absl::SimpleAtoi(text, &ub)) << "'" << text << "'";
    if (absl::SimpleAtoi(text, &ub)) {
      EXPECT_EQ(ua, ub) << text;
    }
    int32_t ia = 0, ib = 0;
    EXPECT_EQ(SimpleAtoi(text, &ia), absl::SimpleAtoi(text, &ib)) << "'" << text << "'";
    if (absl::SimpleAtoi(text, &ib)) {
      EXPECT_EQ(ia, ib) << text;
    }
  }
}

TEST(BaseTest, StringHelpers) {
  EXPECT_TRUE(StartsWith("hello", "he"));
  EXPECT_TRUE(StartsWith("hello", ""));
  EXPECT_FALSE(StartsWith("he", "hello"));
  for (const char* text : {"", "  ", " a b ", "\t\r\nx\v\f", "x"}) {
    EXPECT_EQ(std::string(StripAsciiWhitespace(text)),
              std::string(absl::StripAsciiWhitespace(text)));
  }
}

TEST(BaseTest, StatusAndStatusOr) {
  Status ok = OkStatus();
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.message(), "");
  Status bad = InvalidArgumentError("bad shape");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "bad shape");
  EXPECT_EQ(static_cast<int>(StatusCode::kResourceExhausted),
            static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(IsNotFound(NotFoundError("x")));

  StatusOr<std::string> value = std::string("text");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "text");
  EXPECT_EQ(value->size(), 4u);
  StatusOr<std::string> copy = value;
  EXPECT_EQ(*copy, "text");
  StatusOr<std::string> error = DataLossError("truncated");
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.status().message(), "truncated");
  copy = error;
  EXPECT_FALSE(copy.ok());
  copy = std::move(value);
  ASSERT_TRUE(copy.ok());
  std::string moved = *std::move(copy);
  EXPECT_EQ(moved, "text");
  StatusOr<int64_t> number = 3;  // Converted from int.
  EXPECT_EQ(*number, 3);
}

TEST(BaseTest, InlinedVectorAndSpan) {
  InlinedVector<int64_t, 4> v = {1, 2, 3};
  EXPECT_EQ(v.size(), 3u);
  for (int64_t i = 4; i <= 10; ++i) v.push_back(i);  // Past the inline capacity.
  EXPECT_EQ(v.size(), 10u);
  EXPECT_EQ(v.back(), 10);
  InlinedVector<int64_t, 4> copy = v;
  EXPECT_EQ(copy, v);
  InlinedVector<int64_t, 4> moved = std::move(copy);
  EXPECT_EQ(moved, v);
  moved.erase(moved.begin());
  EXPECT_EQ(moved.front(), 2);
  moved.insert(moved.begin(), 7);
  EXPECT_EQ(moved.front(), 7);
  moved.resize(2);
  EXPECT_EQ(moved, (InlinedVector<int64_t, 4>{7, 2}));
  InlinedVector<int64_t, 4> small = {5, 6};
  InlinedVector<int64_t, 4> taken = std::move(small);  // Inline storage is copied.
  EXPECT_EQ(taken, (InlinedVector<int64_t, 4>{5, 6}));
  InlinedVector<int64_t, 4> filled(3, 9);
  EXPECT_EQ(filled, (InlinedVector<int64_t, 4>{9, 9, 9}));

  std::vector<int64_t> dims = {2, 3};
  Span<const int64_t> span(dims);
  EXPECT_EQ(span.size(), 2u);
  EXPECT_EQ(span[1], 3);
  EXPECT_EQ(Span<const int64_t>(filled).size(), 3u);
  EXPECT_EQ(span.subspan(1).size(), 1u);
  EXPECT_TRUE(Span<const int64_t>(dims) == Span<const int64_t>({2, 3}));
  EXPECT_EQ(MakeConstSpan(dims.data(), 1).size(), 1u);
}

}  // namespace
}  // namespace noma::base
