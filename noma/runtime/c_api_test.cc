#include "noma/runtime/c_api.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "noma/runtime/rng.h"

namespace {

TEST(CApiTest, TensorsAndKernels) {
  const int64_t shape[] = {2, 2};
  const double values[] = {1, 2, 3, 4};
  noma_rt_tensor* a = nullptr;
  ASSERT_EQ(noma_rt_tensor_from_data(shape, 2, values, &a), NOMA_RT_OK);
  EXPECT_EQ(noma_rt_tensor_rank(a), 2);
  EXPECT_EQ(noma_rt_tensor_shape(a)[1], 2);
  EXPECT_EQ(noma_rt_tensor_size(a), 4);
  noma_rt_tensor* one = noma_rt_tensor_scalar(1);
  noma_rt_tensor* sum = nullptr;
  ASSERT_EQ(noma_rt_binary(NOMA_RT_ADD, a, one, &sum), NOMA_RT_OK);
  EXPECT_EQ(noma_rt_tensor_const_data(sum)[3], 5);
  noma_rt_tensor* product = nullptr;
  ASSERT_EQ(noma_rt_matmul(a, a, &product), NOMA_RT_OK);
  EXPECT_EQ(noma_rt_tensor_data(product)[0], 7);
  EXPECT_EQ(noma_rt_sum(product), 7 + 10 + 15 + 22);
  noma_rt_tensor* rows = nullptr;
  ASSERT_EQ(noma_rt_sum_axis(a, 1, &rows), NOMA_RT_OK);
  EXPECT_EQ(noma_rt_tensor_data(rows)[1], 7);
  noma_rt_tensor* relu = nullptr;
  ASSERT_EQ(noma_rt_unary(NOMA_RT_NEG, a, &relu), NOMA_RT_OK);
  EXPECT_EQ(noma_rt_tensor_data(relu)[0], -1);
  EXPECT_EQ(noma_rt_binary_scalar(NOMA_RT_MOD, -7, 3), -1);
  EXPECT_EQ(noma_rt_unary_scalar(NOMA_RT_CAST_I32, -2.5), -2);
  EXPECT_TRUE(std::isnan(noma_rt_binary_scalar(99, 1, 2)));
  char* text = noma_rt_format_tensor(a);
  EXPECT_STREQ(text, "[[1, 2], [3, 4]]");
  noma_rt_string_free(text);
  for (noma_rt_tensor* t : {a, one, sum, product, rows, relu}) noma_rt_tensor_free(t);
}

TEST(CApiTest, ErrorsSetTheLastError) {
  const int64_t shape_a[] = {4, 2};
  const int64_t shape_b[] = {3, 1};
  noma_rt_tensor *a = nullptr, *b = nullptr;
  ASSERT_EQ(noma_rt_tensor_zeros(shape_a, 2, &a), NOMA_RT_OK);
  ASSERT_EQ(noma_rt_tensor_zeros(shape_b, 2, &b), NOMA_RT_OK);
  noma_rt_tensor* out = nullptr;
  EXPECT_NE(noma_rt_matmul(a, b, &out), NOMA_RT_OK);
  EXPECT_EQ(out, nullptr);
  EXPECT_STREQ(noma_rt_last_error(), "matmul: inner dimensions differ ([4, 2] @ [3, 1])");
  noma_rt_clear_error();
  EXPECT_STREQ(noma_rt_last_error(), "");
  EXPECT_NE(noma_rt_binary(NOMA_RT_ADD, a, b, &out), NOMA_RT_OK);
  EXPECT_STREQ(noma_rt_last_error(), "cannot broadcast shapes [4, 2] and [3, 1]");
  EXPECT_NE(noma_rt_index(a, 9, &out), NOMA_RT_OK);
  EXPECT_STREQ(noma_rt_last_error(), "index 9 out of range for dimension of size 4");
  EXPECT_NE(noma_rt_binary(1000, a, b, &out), NOMA_RT_OK);
  EXPECT_NE(noma_rt_binary(NOMA_RT_ADD, nullptr, b, &out), NOMA_RT_OK);
  noma_rt_tensor_free(a);
  noma_rt_tensor_free(b);
  noma_rt_tensor_free(nullptr);
}

TEST(CApiTest, AllocRespectsTheLimit) {
  int64_t saved = noma_rt_max_elements();
  noma_rt_set_max_elements(100);
  const double dims[] = {10, 11};
  noma_rt_tensor* out = nullptr;
  EXPECT_NE(noma_rt_alloc(dims, 2, &out), NOMA_RT_OK);
  EXPECT_EQ(std::string(noma_rt_last_error()).rfind("allocation of 110 elements", 0), 0u);
  const double ok_dims[] = {10, 10};
  ASSERT_EQ(noma_rt_alloc(ok_dims, 2, &out), NOMA_RT_OK);
  noma_rt_tensor* grown = nullptr;
  const double grow[] = {10, 12};
  EXPECT_NE(noma_rt_realloc_zero(out, grow, 2, &grown), NOMA_RT_OK);
  noma_rt_set_max_elements(saved);
  ASSERT_EQ(noma_rt_realloc_zero(out, grow, 2, &grown), NOMA_RT_OK);
  EXPECT_EQ(noma_rt_tensor_size(grown), 120);
  noma_rt_tensor_free(out);
  noma_rt_tensor_free(grown);
}

TEST(CApiTest, GlobalGeneratorMatchesRng) {
  noma_rt_seed(5);
  noma::runtime::Rng rng(5);
  EXPECT_EQ(noma_rt_uniform(), rng.Uniform());
  EXPECT_EQ(noma_rt_normal(1, 2), rng.Normal(1, 2));
  EXPECT_EQ(noma_rt_uniform_range(-1, 1), rng.Uniform(-1, 1));
  const double dims[] = {2, 3};
  noma_rt_tensor* t = nullptr;
  ASSERT_EQ(noma_rt_xavier(2, 3, dims, 2, &t), NOMA_RT_OK);
  noma::runtime::Tensor expected = rng.Xavier(2, 3, {2, 3});
  for (int i = 0; i < 6; ++i) EXPECT_EQ(noma_rt_tensor_data(t)[i], expected.values()[i]);
  noma_rt_tensor* grown = nullptr;
  const double grow[] = {2, 4};
  ASSERT_EQ(noma_rt_realloc_normal(t, grow, 2, 0, 0.1, &grown), NOMA_RT_OK);
  EXPECT_EQ(noma_rt_tensor_data(grown)[0], expected.values()[0]);
  EXPECT_EQ(noma_rt_tensor_data(grown)[3], rng.Normal(0, 0.1));
  EXPECT_EQ(noma_rt_tensor_data(grown)[7], rng.Normal(0, 0.1));
  EXPECT_EQ(noma_rt_next_u64(), rng.NextU64());
  noma_rt_seed_f64(-1.5);
  rng.Seed(UINT64_MAX);
  EXPECT_EQ(noma_rt_next_u64(), rng.NextU64());
  noma_rt_tensor_free(t);
  noma_rt_tensor_free(grown);
}

TEST(CApiTest, FormatScalar) {
  char buffer[32];
  EXPECT_EQ(noma_rt_format_scalar(0.1 + 0.2, buffer, sizeof(buffer)), 19u);
  EXPECT_STREQ(buffer, "0.30000000000000004");
  char small[4];
  EXPECT_EQ(noma_rt_format_scalar(12345, small, sizeof(small)), 5u);
  EXPECT_STREQ(small, "123");
  EXPECT_EQ(noma_rt_format_scalar(1e-5, nullptr, 0), 5u);
}

TEST(CApiTest, Files) {
  std::string dir = std::getenv("TEST_TMPDIR");
  std::string csv = dir + "/c_api.csv";
  const int64_t shape[] = {2};
  const double values[] = {1.5, -2};
  noma_rt_tensor* t = nullptr;
  ASSERT_EQ(noma_rt_tensor_from_data(shape, 1, values, &t), NOMA_RT_OK);
  ASSERT_EQ(noma_rt_save_csv(t, csv.c_str()), NOMA_RT_OK);
  noma_rt_tensor* loaded = nullptr;
  ASSERT_EQ(noma_rt_load_csv(csv.c_str(), &loaded), NOMA_RT_OK);
  EXPECT_EQ(noma_rt_tensor_rank(loaded), 2);
  EXPECT_EQ(noma_rt_tensor_data(loaded)[1], -2);
  EXPECT_NE(noma_rt_load_csv((dir + "/none.csv").c_str(), &loaded), NOMA_RT_OK);
  EXPECT_EQ(std::string(noma_rt_last_error()),
            "cannot open '" + dir + "/none.csv': No such file or directory");

  std::string st = dir + "/c_api.safetensors";
  noma_rt_tensor_map* map = noma_rt_map_new();
  ASSERT_EQ(noma_rt_map_set(map, "w", t), NOMA_RT_OK);
  ASSERT_EQ(noma_rt_map_set(map, "b", loaded), NOMA_RT_OK);
  ASSERT_EQ(noma_rt_save_safetensors(map, st.c_str()), NOMA_RT_OK);
  noma_rt_tensor_map* back = nullptr;
  ASSERT_EQ(noma_rt_load_safetensors(st.c_str(), &back), NOMA_RT_OK);
  ASSERT_EQ(noma_rt_map_size(back), 2u);
  EXPECT_STREQ(noma_rt_map_key(back, 0), "b");
  EXPECT_STREQ(noma_rt_map_key(back, 1), "w");
  EXPECT_EQ(noma_rt_map_key(back, 2), nullptr);
  const noma_rt_tensor* w = noma_rt_map_get(back, "w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(noma_rt_tensor_const_data(w)[0], 1.5);
  EXPECT_EQ(noma_rt_map_get(back, "zzz"), nullptr);
  noma_rt_map_free(map);
  noma_rt_map_free(back);
  noma_rt_tensor_free(t);
  noma_rt_tensor_free(loaded);
}

}  // namespace
