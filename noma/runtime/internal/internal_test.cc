#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "noma/runtime/internal/float16.h"
#include "noma/runtime/internal/json.h"

namespace noma::runtime::internal {
namespace {

using Kind = JsonValue::Kind;

TEST(JsonTest, ParsesValues) {
  auto v = ParseJson(
      " {\"a\": [1, 2.5, -3, 1e3, true, false, null], \"b\": {\"c\": \"x\\\"y\\\\z\\/\\n\"},"
      " \"u\": \"\\u00e9\\ud83d\\ude00\"} ");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->kind, Kind::kObject);
  ASSERT_EQ(v->members.size(), 3u);
  const JsonValue* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items.size(), 7u);
  EXPECT_TRUE(a->items[0].is_count);
  EXPECT_EQ(a->items[0].count, 1u);
  EXPECT_FALSE(a->items[1].is_count);
  EXPECT_EQ(a->items[1].text, "2.5");
  EXPECT_FALSE(a->items[2].is_count);
  EXPECT_FALSE(a->items[3].is_count);
  EXPECT_EQ(a->items[4].kind, Kind::kBool);
  EXPECT_TRUE(a->items[4].boolean);
  EXPECT_FALSE(a->items[5].boolean);
  EXPECT_EQ(a->items[6].kind, Kind::kNull);
  EXPECT_EQ(v->Find("b")->Find("c")->text, "x\"y\\z/\n");
  EXPECT_EQ(v->Find("u")->text, "\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v->Find("missing"), nullptr);
}

TEST(JsonTest, Counts) {
  auto max = ParseJson("[18446744073709551615, 18446744073709551616, 0]");
  ASSERT_TRUE(max.ok());
  EXPECT_TRUE(max->items[0].is_count);
  EXPECT_EQ(max->items[0].count, UINT64_MAX);
  EXPECT_FALSE(max->items[1].is_count);
  EXPECT_TRUE(max->items[2].is_count);
  EXPECT_EQ(max->items[2].count, 0u);
}

TEST(JsonTest, RejectsMalformedDocuments) {
  for (const char* text : {"",
                           " ",
                           "{",
                           "}",
                           "[1,]",
                           "[,1]",
                           "{\"a\" 1}",
                           "{\"a\":1,}",
                           "{a:1}",
                           "'a'",
                           "01",
                           "1.",
                           ".5",
                           "-",
                           "1e",
                           "+1",
                           "tru",
                           "nul",
                           "[1 2]",
                           "\"abc",
                           "\"\\x\"",
                           "\"\\u12\"",
                           "\"\\ud800\"",
                           "\"\\udc00\"",
                           "\"\\ud800\\u0041\"",
                           "{\"a\":1,\"a\":2}",
                           "1 2",
                           "[]]",
                           "\"a\tb\"",
                           "NaN",
                           "Infinity",
                           "[1]x"}) {
    EXPECT_FALSE(ParseJson(text).ok()) << text;
  }
}

TEST(JsonTest, Limits) {
  std::string deep = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(ParseJson(deep).ok());
  std::string deeper = std::string(66, '[') + std::string(66, ']');
  EXPECT_FALSE(ParseJson(deeper).ok());
  JsonLimits small;
  small.max_values = 3;
  EXPECT_TRUE(ParseJson("[1, 2]", small).ok());
  EXPECT_EQ(std::string(ParseJson("[1, 2, 3]", small).status().message()),
            "JSON document has too many values at byte 7");
}

TEST(JsonTest, AppendString) {
  std::string out;
  AppendJsonString("a\"b\\c\n\x01", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\u000a\\u0001\"");
  auto back = ParseJson(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->text, "a\"b\\c\n\x01");
}

TEST(Float16Test, HalfExhaustive) {
  // Every binary16 value widens to the value its fields describe, and narrowing back through
  // float (exact for binary16 values) reproduces the same magnitude.
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    double v = HalfToDouble(static_cast<uint16_t>(bits));
    int exponent = (bits >> 10) & 0x1F;
    int fraction = bits & 0x3FF;
    bool negative = bits & 0x8000;
    if (exponent == 31) {
      if (fraction == 0) {
        EXPECT_TRUE(std::isinf(v));
      } else {
        EXPECT_TRUE(std::isnan(v));
      }
      continue;
    }
    double expected = exponent == 0 ? fraction * std::ldexp(1.0, -24)
                                    : (1 + fraction / 1024.0) * std::ldexp(1.0, exponent - 15);
    EXPECT_EQ(v, negative ? -expected : expected) << bits;
    EXPECT_EQ(std::signbit(v), negative) << bits;
  }
  EXPECT_EQ(HalfToDouble(0x3C00), 1.0);
  EXPECT_EQ(HalfToDouble(0x7BFF), 65504.0);
  EXPECT_EQ(HalfToDouble(0x0001), std::ldexp(1.0, -24));
}

TEST(Float16Test, BFloat16AndFloat32) {
  EXPECT_EQ(BFloat16ToDouble(0x3F80), 1.0);
  EXPECT_EQ(BFloat16ToDouble(0x4049), 3.140625);
  EXPECT_EQ(BFloat16ToDouble(0xFF80), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(BFloat16ToDouble(0x7FC1)));
  EXPECT_EQ(BFloat16ToDouble(0x7F7F), 3.3895313892515355e38);
  EXPECT_EQ(Float32BitsToDouble(0x3F800000u), 1.0);
  EXPECT_EQ(Float32BitsToDouble(0x00000001u), std::ldexp(1.0, -149));
}

}  // namespace
}  // namespace noma::runtime::internal
