#include "noma/runtime/io.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "noma/runtime/rng.h"

namespace noma::runtime {
namespace {

using Values = std::vector<double>;

constexpr double kInf = std::numeric_limits<double>::infinity();

// A fresh directory under $TEST_TMPDIR for each test.
class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* root = std::getenv("TEST_TMPDIR");
    ASSERT_NE(root, nullptr);
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = absl::StrCat(root, "/", info->test_suite_name(), ".", info->name());
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0) << dir_;
  }

  std::string Path(const std::string& name) const { return absl::StrCat(dir_, "/", name); }

  std::string Write(const std::string& name, const std::string& bytes) const {
    std::string path = Path(name);
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    return path;
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  static bool Exists(const std::string& path) {
    struct stat info;
    return ::stat(path.c_str(), &info) == 0;
  }

  // Names in the test directory (no temporary files may be left behind).
  std::vector<std::string> Listing() const {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir_.c_str());
    if (d == nullptr) return names;
    while (dirent* entry = ::readdir(d)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
};

// ---------------------------------------------------------------------------- CSV reading

using CsvTest = IoTest;

TEST_F(CsvTest, PlainTable) {
  auto t = LoadCsv(Write("a.csv", "1,2,3\n4,5,6\n"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (Shape{2, 3}));
  EXPECT_EQ(t->values(), (Values{1, 2, 3, 4, 5, 6}));
}

TEST_F(CsvTest, OneColumnIsRankTwo) {
  auto t = LoadCsv(Write("a.csv", "1\n2\n3"));  // No final newline.
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (Shape{3, 1}));
  auto one = LoadCsv(Write("b.csv", "42\n"));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->shape(), (Shape{1, 1}));
}

TEST_F(CsvTest, HeaderCommentsBlankLinesSpacesAndCrlf) {
  auto t = LoadCsv(Write("a.csv",
                         "\xEF\xBB\xBF# produced by hand\r\n\r\nx, y\r\n 1 , 2\r\n   \r\n# mid\r\n"
                         "3,\t4\r\n"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape(), (Shape{2, 2}));
  EXPECT_EQ(t->values(), (Values{1, 2, 3, 4}));
}

TEST_F(CsvTest, NumberForms) {
  auto t = LoadCsv(Write("a.csv", "1e-3,-2.5,+3,.5,5.,1E2\ninf,-inf,nan,-0,1e999,-1e999\n"));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->values()[0], 1e-3);
  EXPECT_EQ(t->values()[1], -2.5);
  EXPECT_EQ(t->values()[2], 3);
  EXPECT_EQ(t->values()[3], 0.5);
  EXPECT_EQ(t->values()[4], 5);
  EXPECT_EQ(t->values()[5], 100);
  EXPECT_EQ(t->values()[6], kInf);
  EXPECT_EQ(t->values()[7], -kInf);
  EXPECT_TRUE(std::isnan(t->values()[8]));
  EXPECT_TRUE(std::signbit(t->values()[9]));
  EXPECT_EQ(t->values()[10], kInf);
  EXPECT_EQ(t->values()[11], -kInf);
  EXPECT_EQ(LoadCsv(Write("b.csv", "0.1\n"))->values()[0], 0.1);
}

TEST_F(CsvTest, RaggedRow) {
  std::string path = Write("r.csv", "1,2,3\n4,5,6\n\n7,8\n");
  EXPECT_EQ(LoadCsv(path).status().message(), path + ":4:1: expected 3 columns, found 2");
  std::string longer = Write("l.csv", "a,b\n1,2\n3,4,5\n");
  EXPECT_EQ(LoadCsv(longer).status().message(), longer + ":3:1: expected 2 columns, found 3");
}

TEST_F(CsvTest, NonNumericCellAfterTheHeader) {
  std::string path = Write("n.csv", "1,2,3\n4,5,6\n7,8,abc\n");
  EXPECT_EQ(LoadCsv(path).status().message(), path + ":3:5: non-numeric cell 'abc'");
  std::string header = Write("h.csv", "a,b\nfoo,1\n");
  EXPECT_EQ(LoadCsv(header).status().message(), header + ":2:1: non-numeric cell 'foo'");
  std::string spaced = Write("s.csv", "1,2\n3,  x y \n");
  EXPECT_EQ(LoadCsv(spaced).status().message(), spaced + ":2:5: non-numeric cell 'x y'");
  std::string hex = Write("x.csv", "1\n0x10\n");
  EXPECT_EQ(LoadCsv(hex).status().message(), hex + ":2:1: non-numeric cell '0x10'");
  std::string signs = Write("g.csv", "1\n+-1\n");
  EXPECT_FALSE(LoadCsv(signs).ok());
  std::string two_headers = Write("t.csv", "a,b\nc,d\n1,2\n");
  EXPECT_EQ(LoadCsv(two_headers).status().message(), two_headers + ":2:1: non-numeric cell 'c'");
}

TEST_F(CsvTest, EmptyCell) {
  std::string path = Write("e.csv", "1,2,3\n4,,6\n");
  EXPECT_EQ(LoadCsv(path).status().message(), path + ":2:3: empty cell");
  std::string trailing = Write("t.csv", "1,2,3\n4,5,\n");
  EXPECT_EQ(LoadCsv(trailing).status().message(), trailing + ":2:5: empty cell");
}

TEST_F(CsvTest, NoDataRows) {
  for (const char* text : {"", "\n\n", "# only a comment\n", "x,y\n", "x,y\n# nothing\n\n"}) {
    std::string path = Write("empty.csv", text);
    EXPECT_EQ(LoadCsv(path).status().message(), path + ": no data rows") << text;
  }
}

TEST_F(CsvTest, MissingFileAndDirectory) {
  std::string missing = Path("missing.csv");
  auto result = LoadCsv(missing);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(), "cannot open '" + missing + "': No such file or directory");
  EXPECT_EQ(LoadCsv(dir_).status().message(), "cannot open '" + dir_ + "': Is a directory");
}

// ---------------------------------------------------------------------------- CSV writing

TEST_F(CsvTest, SaveRanksZeroToTwo) {
  ASSERT_TRUE(SaveCsv(Tensor({2, 2}, {1, 2.5, -3, 0.1}), Path("m.csv")).ok());
  EXPECT_EQ(Read(Path("m.csv")), "1,2.5\n-3,0.1\n");
  ASSERT_TRUE(SaveCsv(Tensor({3}, {1, 1e-05, 1e16}), Path("v.csv")).ok());
  EXPECT_EQ(Read(Path("v.csv")), "1\n1e-05\n1e+16\n");
  ASSERT_TRUE(SaveCsv(Tensor::Scalar(2), Path("s.csv")).ok());
  EXPECT_EQ(Read(Path("s.csv")), "2\n");
  ASSERT_TRUE(SaveCsv(Tensor({3}, {std::nan(""), kInf, -kInf}), Path("f.csv")).ok());
  EXPECT_EQ(Read(Path("f.csv")), "nan\ninf\n-inf\n");
  ASSERT_TRUE(SaveCsv(Tensor::Zeros({0}), Path("z.csv")).ok());
  EXPECT_EQ(Read(Path("z.csv")), "");
  auto cube = SaveCsv(Tensor::Zeros({2, 2, 2}), Path("c.csv"));
  EXPECT_EQ(cube.message(),
            "save_csv: cannot write a tensor of shape [2, 2, 2] (rank 3) as CSV; only rank 0, "
            "1 and 2 are supported");
  EXPECT_FALSE(Exists(Path("c.csv")));
}

TEST_F(CsvTest, RoundTripIsExact) {
  Rng rng(4);
  Tensor t = rng.NormalTensor(0, 1e3, {17, 5});
  t.data()[0] = 0.1 + 0.2;
  t.data()[1] = 5e-324;
  t.data()[2] = -0.0;
  ASSERT_TRUE(SaveCsv(t, Path("r.csv")).ok());
  auto back = LoadCsv(Path("r.csv"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, t);
  EXPECT_TRUE(std::signbit(back->data()[2]));
  Tensor vector({4}, {1, 2, 3, 4});
  ASSERT_TRUE(SaveCsv(vector, Path("v.csv")).ok());
  EXPECT_EQ(LoadCsv(Path("v.csv"))->shape(), (Shape{4, 1}));
}

TEST_F(CsvTest, UnwritablePathLeavesNothing) {
  std::string path = Path("no/such/dir/out.csv");
  absl::Status status = SaveCsv(Tensor({1}, {1}), path);
  EXPECT_EQ(status.message(), "cannot write '" + path + "': No such file or directory");
  EXPECT_EQ(Listing(), std::vector<std::string>{});
  // Writing over a directory fails at the rename; the temporary file is removed.
  ASSERT_EQ(::mkdir(Path("sub").c_str(), 0755), 0);
  status = SaveCsv(Tensor({1}, {1}), Path("sub"));
  EXPECT_EQ(status.message(), "cannot write '" + Path("sub") + "': Is a directory");
  EXPECT_EQ(Listing(), std::vector<std::string>{"sub"});
  EXPECT_FALSE(SaveCsv(Tensor({1}, {1}), "").ok());
  EXPECT_FALSE(SaveCsv(Tensor({1}, {1}), Path("sub/")).ok());
}

TEST_F(CsvTest, OverwriteReplacesTheWholeFile) {
  std::string path = Write("o.csv", std::string(10000, 'x'));
  ASSERT_TRUE(SaveCsv(Tensor({2}, {1, 2}), path).ok());
  EXPECT_EQ(Read(path), "1\n2\n");
  EXPECT_EQ(Listing(), std::vector<std::string>{"o.csv"});
}

TEST_F(IoTest, WriteFileAtomically) {
  ASSERT_TRUE(WriteFileAtomically(Path("a.txt"), "hello").ok());
  EXPECT_EQ(Read(Path("a.txt")), "hello");
  std::string big(3 << 20, 'b');  // Several buffer flushes.
  ASSERT_TRUE(WriteFileAtomically(Path("a.txt"), big).ok());
  EXPECT_EQ(Read(Path("a.txt")), big);
  EXPECT_EQ(Listing(), std::vector<std::string>{"a.txt"});
}

// ---------------------------------------------------------------------------- safetensors

std::string LittleEndian(uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
  return out;
}

std::string F64Bytes(const Values& values) {
  std::string out;
  for (double v : values) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    out += LittleEndian(bits, 8);
  }
  return out;
}

// A safetensors file from a header and a data section.
std::string Safetensors(const std::string& header, const std::string& data) {
  return LittleEndian(header.size(), 8) + header + data;
}

using SafetensorsTest = IoTest;

TEST_F(SafetensorsTest, RoundTrip) {
  Rng rng(2);
  std::map<std::string, Tensor> tensors;
  tensors["weights"] = rng.NormalTensor(0, 1, {3, 4});
  tensors["bias"] = Tensor({4}, {0.1, -0.0, kInf, 5e-324});
  tensors["scalar"] = Tensor::Scalar(7);
  tensors["empty"] = Tensor::Zeros({0, 3});
  tensors["cube"] = rng.UniformTensor({2, 1, 2});
  tensors["quote\"back\\slash\nnewline"] = Tensor({1}, {1});
  ASSERT_TRUE(SaveSafetensors(tensors, Path("m.safetensors")).ok());
  auto back = LoadSafetensors(Path("m.safetensors"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, tensors);
  EXPECT_EQ(Listing(), std::vector<std::string>{"m.safetensors"});
}

TEST_F(SafetensorsTest, WrittenLayout) {
  std::map<std::string, Tensor> tensors;
  tensors["x"] = Tensor({2}, {1, 2});
  tensors["a"] = Tensor({1, 1}, {3});
  ASSERT_TRUE(SaveSafetensors(tensors, Path("l.safetensors")).ok());
  std::string bytes = Read(Path("l.safetensors"));
  std::string header =
      "{\"a\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[0,8]},"
      "\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[8,24]}}";
  header.append((8 - header.size() % 8) % 8, ' ');
  EXPECT_EQ(header.size() % 8, 0u);
  EXPECT_EQ(bytes, Safetensors(header, F64Bytes({3, 1, 2})));
  ASSERT_TRUE(SaveSafetensors({}, Path("e.safetensors")).ok());
  EXPECT_EQ(Read(Path("e.safetensors")), Safetensors("{}      ", ""));
  EXPECT_EQ(LoadSafetensors(Path("e.safetensors"))->size(), 0u);
}

TEST_F(SafetensorsTest, SaveErrors) {
  std::string path = Path("missing/m.safetensors");
  absl::Status status = SaveSafetensors({{"a", Tensor::Scalar(1)}}, path);
  EXPECT_EQ(status.message(), "cannot write '" + path + "': No such file or directory");
  status = SaveSafetensors({{"__metadata__", Tensor::Scalar(1)}}, Path("m.safetensors"));
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(Listing(), std::vector<std::string>{});
}

TEST_F(SafetensorsTest, ReadsNarrowFloatTypes) {
  std::string data;
  // F32: 0.1f, -2, 3.4028235e38 (max), 1e-45 (min subnormal).
  for (uint32_t bits : {0x3DCCCCCDu, 0xC0000000u, 0x7F7FFFFFu, 0x00000001u}) {
    data += LittleEndian(bits, 4);
  }
  // F16: 1, -2, 65504, 2^-24, largest subnormal, 2^-14, inf, -inf, nan, -0, 1/3-ish.
  for (uint16_t bits :
       {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x7C00, 0xFC00, 0x7E00, 0x8000, 0x3555}) {
    data += LittleEndian(bits, 2);
  }
  // BF16: 1, -3.140625, inf, nan, smallest subnormal, -0.
  for (uint16_t bits : {0x3F80, 0xC049, 0x7F80, 0x7FC0, 0x0001, 0x8000}) {
    data += LittleEndian(bits, 2);
  }
  std::string header =
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"f32\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
      "\"f16\":{\"dtype\":\"F16\",\"shape\":[11],\"data_offsets\":[16,38]},"
      "\"bf16\":{\"shape\":[6],\"dtype\":\"BF16\",\"data_offsets\":[38,50],\"extra\":null}}";
  auto loaded = LoadSafetensors(Write("n.safetensors", Safetensors(header, data)));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 3u);
  const Tensor& f32 = loaded->at("f32");
  EXPECT_EQ(f32.shape(), (Shape{2, 2}));
  EXPECT_EQ(f32.values(), (Values{static_cast<double>(0.1f), -2,
                                  static_cast<double>(std::numeric_limits<float>::max()),
                                  std::ldexp(1.0, -149)}));
  const Values& f16 = loaded->at("f16").values();
  EXPECT_EQ(f16[0], 1);
  EXPECT_EQ(f16[1], -2);
  EXPECT_EQ(f16[2], 65504);
  EXPECT_EQ(f16[3], std::ldexp(1.0, -24));
  EXPECT_EQ(f16[4], std::ldexp(1023.0, -24));
  EXPECT_EQ(f16[5], std::ldexp(1.0, -14));
  EXPECT_EQ(f16[6], kInf);
  EXPECT_EQ(f16[7], -kInf);
  EXPECT_TRUE(std::isnan(f16[8]));
  EXPECT_EQ(f16[9], 0);
  EXPECT_TRUE(std::signbit(f16[9]));
  EXPECT_EQ(f16[10], 0.333251953125);
  const Values& bf16 = loaded->at("bf16").values();
  EXPECT_EQ(bf16[0], 1);
  EXPECT_EQ(bf16[1], -3.140625);
  EXPECT_EQ(bf16[2], kInf);
  EXPECT_TRUE(std::isnan(bf16[3]));
  EXPECT_EQ(bf16[4], std::ldexp(1.0, -133));
  EXPECT_TRUE(std::signbit(bf16[5]));
}

TEST_F(SafetensorsTest, LargeTensorIsReadInChunks) {
  const int n = 300000;  // 1.2 MB of F32, more than one read chunk.
  std::string data;
  for (int i = 0; i < n; ++i) {
    float f = static_cast<float>(i);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    data += LittleEndian(bits, 4);
  }
  std::string header = absl::StrCat("{\"t\":{\"dtype\":\"F32\",\"shape\":[", n,
                                    "],\"data_offsets\":[0,", 4 * n, "]}}");
  auto loaded = LoadSafetensors(Write("big.safetensors", Safetensors(header, data)));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const Values& values = loaded->at("t").values();
  ASSERT_EQ(values.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; i += 997) EXPECT_EQ(values[i], i);
  EXPECT_EQ(values[n - 1], n - 1);
}

TEST_F(SafetensorsTest, MissingFile) {
  std::string path = Path("none.safetensors");
  EXPECT_EQ(LoadSafetensors(path).status().message(),
            "cannot open '" + path + "': No such file or directory");
}

struct Malformed {
  const char* name;
  std::string bytes;
  const char* message;  // Expected text after "path: ".
};

std::string Entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
  return absl::StrCat("\"", name, "\":{\"dtype\":\"", dtype, "\",\"shape\":", shape,
                      ",\"data_offsets\":", offsets, "}");
}

TEST_F(SafetensorsTest, MalformedFilesAreErrors) {
  const std::string data16 = F64Bytes({1, 2});
  const std::string good = "{" + Entry("a", "F64", "[2]", "[0,16]") + "}";
  const std::vector<Malformed> cases = {
      {"empty", "", "truncated header (the file has 0 bytes; the header length alone takes 8)"},
      {"short", "abc", "truncated header (the file has 3 bytes; the header length alone takes 8)"},
      {"huge_length", LittleEndian(uint64_t{1} << 63, 8) + good,
       "header length 9223372036854775808 exceeds the limit of 100000000 bytes"},
      {"over_limit", LittleEndian(200'000'000, 8) + good,
       "header length 200000000 exceeds the limit of 100000000 bytes"},
      {"truncated_header", LittleEndian(1000, 8) + good,
       "truncated header (header length 1000, but only 55 bytes follow)"},
      {"not_json", Safetensors("hello", ""), "malformed JSON header: invalid JSON value at byte 0"},
      {"unterminated", Safetensors("{\"a\":", ""),
       "malformed JSON header: unexpected end of JSON at byte 5"},
      {"trailing", Safetensors(good + "x", data16),
       "malformed JSON header: unexpected data after the JSON value at byte 55"},
      {"not_object", Safetensors("[1, 2]", ""), "the JSON header is not an object"},
      {"duplicate",
       Safetensors(
           "{" + Entry("a", "F64", "[1]", "[0,8]") + "," + Entry("a", "F64", "[1]", "[8,16]") + "}",
           data16),
       "malformed JSON header: duplicate key in JSON object at byte 54"},
      {"bad_escape", Safetensors("{\"a\\q\":1}", ""),
       "malformed JSON header: invalid escape in JSON string at byte 4"},
      {"control_char", Safetensors("{\"a\nb\":1}", ""),
       "malformed JSON header: control character in JSON string at byte 3"},
      {"leading_zero", Safetensors("{" + Entry("a", "F64", "[2]", "[00,16]") + "}", data16),
       "malformed JSON header: leading zero in JSON number at byte 48"},
      {"unknown_dtype", Safetensors("{" + Entry("a", "I32", "[4]", "[0,16]") + "}", data16),
       "tensor 'a' has unsupported dtype 'I32' (supported: F64, F32, F16, BF16)"},
      {"entry_not_object", Safetensors("{\"a\":[1]}", ""),
       "tensor 'a': entry is not a JSON object"},
      {"missing_dtype", Safetensors("{\"a\":{\"shape\":[2],\"data_offsets\":[0,16]}}", data16),
       "tensor 'a': missing or non-string \"dtype\""},
      {"missing_shape", Safetensors("{\"a\":{\"dtype\":\"F64\",\"data_offsets\":[0,16]}}", data16),
       "tensor 'a': missing \"shape\" (a list of non-negative integers)"},
      {"negative_dim", Safetensors("{" + Entry("a", "F64", "[-2]", "[0,16]") + "}", data16),
       "tensor 'a': \"shape\" must be a list of non-negative integers"},
      {"fractional_dim", Safetensors("{" + Entry("a", "F64", "[2.0]", "[0,16]") + "}", data16),
       "tensor 'a': \"shape\" must be a list of non-negative integers"},
      {"string_dim", Safetensors("{" + Entry("a", "F64", "[\"2\"]", "[0,16]") + "}", data16),
       "tensor 'a': \"shape\" must be a list of non-negative integers"},
      {"missing_offsets", Safetensors("{\"a\":{\"dtype\":\"F64\",\"shape\":[2]}}", data16),
       "tensor 'a': \"data_offsets\" must be a list of two non-negative integers"},
      {"three_offsets", Safetensors("{" + Entry("a", "F64", "[2]", "[0,8,16]") + "}", data16),
       "tensor 'a': \"data_offsets\" must be a list of two non-negative integers"},
      {"negative_offset", Safetensors("{" + Entry("a", "F64", "[2]", "[-1,16]") + "}", data16),
       "tensor 'a': \"data_offsets\" must be a list of two non-negative integers"},
      {"out_of_range", Safetensors("{" + Entry("a", "F64", "[3]", "[0,24]") + "}", data16),
       "tensor 'a': data_offsets [0, 24] are out of range (the data section has 16 bytes)"},
      {"huge_offsets",
       Safetensors(
           "{" + Entry("a", "F64", "[2]", "[18446744073709551600,18446744073709551615]") + "}",
           data16),
       "tensor 'a': data_offsets [18446744073709551600, 18446744073709551615] are out of range "
       "(the data section has 16 bytes)"},
      {"offset_overflow",
       Safetensors("{" + Entry("a", "F64", "[2]", "[0,18446744073709551616]") + "}", data16),
       "tensor 'a': \"data_offsets\" must be a list of two non-negative integers"},
      {"reversed", Safetensors("{" + Entry("a", "F64", "[0]", "[16,8]") + "}", data16),
       "tensor 'a': data_offsets [16, 8] are reversed"},
      {"size_mismatch", Safetensors("{" + Entry("a", "F64", "[3]", "[0,16]") + "}", data16),
       "tensor 'a': shape [3] of F64 needs more than 16 bytes, but data_offsets [0, 16] span 16"},
      {"size_mismatch_small", Safetensors("{" + Entry("a", "F32", "[3]", "[0,16]") + "}", data16),
       "tensor 'a': shape [3] of F32 needs 12 bytes, but data_offsets [0, 16] span 16"},
      {"count_overflow",
       Safetensors("{" + Entry("a", "F64", "[4294967296,4294967296,4294967296]", "[0,16]") + "}",
                   data16),
       "tensor 'a': shape [4294967296, 4294967296, 4294967296] has too many elements"},
      {"overlap",
       Safetensors(
           "{" + Entry("a", "F64", "[1]", "[0,8]") + "," + Entry("b", "F32", "[2]", "[4,12]") + "}",
           data16),
       "tensors 'a' and 'b' overlap in the data section"},
      {"metadata_not_strings",
       Safetensors("{\"__metadata__\":{\"n\":1}," + Entry("a", "F64", "[2]", "[0,16]") + "}",
                   data16),
       "\"__metadata__\" must be an object of strings"},
      {"deep", Safetensors(std::string(100000, '[') + std::string(100000, ']'), ""),
       "malformed JSON header: JSON nested too deeply at byte 65"},
  };
  for (const Malformed& c : cases) {
    std::string path = Write(std::string(c.name) + ".safetensors", c.bytes);
    auto result = LoadSafetensors(path);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(std::string(result.status().message()), path + ": " + c.message) << c.name;
  }
  // The good file these are variations of loads.
  auto loaded = LoadSafetensors(Write("good.safetensors", Safetensors(good, data16)));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->at("a").values(), (Values{1, 2}));
}

TEST_F(SafetensorsTest, EmptyTensorsMayShareOffsetsAndGapsAreAllowed) {
  std::string header = "{" + Entry("a", "F64", "[0]", "[8,8]") + "," +
                       Entry("b", "F64", "[1]", "[0,16]") + "," +
                       Entry("c", "F64", "[1]", "[16,24]") + "}";
  auto loaded = LoadSafetensors(Write("g.safetensors", Safetensors(header, F64Bytes({1, 2, 3}))));
  // "b" is 1 element but spans 16 bytes: a size mismatch.
  EXPECT_FALSE(loaded.ok());
  header = "{" + Entry("a", "F64", "[0]", "[8,8]") + "," + Entry("b", "F64", "[1]", "[0,8]") + "," +
           Entry("c", "F64", "[1]", "[16,24]") + "}";
  loaded = LoadSafetensors(Write("h.safetensors", Safetensors(header, F64Bytes({1, 2, 3}))));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->at("a").shape(), (Shape{0}));
  EXPECT_EQ(loaded->at("b").values(), (Values{1}));
  EXPECT_EQ(loaded->at("c").values(), (Values{3}));
}

TEST_F(SafetensorsTest, TruncationsAndCorruptionsNeverCrash) {
  std::map<std::string, Tensor> tensors;
  Rng rng(8);
  tensors["a"] = rng.UniformTensor({3, 2});
  tensors["b"] = rng.UniformTensor({5});
  ASSERT_TRUE(SaveSafetensors(tensors, Path("ok.safetensors")).ok());
  std::string bytes = Read(Path("ok.safetensors"));
  for (size_t length = 0; length < bytes.size(); ++length) {
    std::string path = Write("cut.safetensors", bytes.substr(0, length));
    EXPECT_FALSE(LoadSafetensors(path).ok()) << length;
  }
  // Flip every byte of the header and prefix to a few values: an error or a valid load.
  size_t header_end = 8 + bytes[0];
  for (size_t i = 0; i < header_end; ++i) {
    for (char replacement : {'\0', '9', '"', '{', ']', ',', '\xff'}) {
      std::string corrupt = bytes;
      corrupt[i] = replacement;
      std::string path = Write("bad.safetensors", corrupt);
      auto result = LoadSafetensors(path);
      if (result.ok()) {
        for (const auto& [name, t] : *result) EXPECT_LE(t.size() * 8, 11 * 8);
      }
    }
  }
}

}  // namespace
}  // namespace noma::runtime
