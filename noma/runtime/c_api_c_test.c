/* Compiles c_api.h as C and links a C program against the runtime. */
#include <stdio.h>
#include <string.h>

#include "noma/runtime/c_api.h"

int main(void) {
  const int64_t shape[2] = {2, 3};
  noma_rt_tensor* zeros = NULL;
  noma_rt_tensor* sum = NULL;
  noma_rt_tensor* scalar = noma_rt_tensor_scalar(2.0);
  char buffer[32];
  int failures = 0;
  if (noma_rt_tensor_zeros(shape, 2, &zeros) != NOMA_RT_OK) ++failures;
  if (noma_rt_binary(NOMA_RT_ADD, zeros, scalar, &sum) != NOMA_RT_OK) ++failures;
  if (sum == NULL || noma_rt_sum(sum) != 12.0) ++failures;
  noma_rt_format_scalar(1e16, buffer, sizeof buffer);
  if (strcmp(buffer, "1e+16") != 0) ++failures;
  if (noma_rt_matmul(zeros, zeros, &sum) == NOMA_RT_OK) ++failures;
  if (strcmp(noma_rt_last_error(), "matmul: inner dimensions differ ([2, 3] @ [2, 3])") != 0) {
    ++failures;
  }
  noma_rt_seed(0);
  if (noma_rt_next_u64() != 0x99ec5f36cb75f2b4ULL) ++failures;
  noma_rt_tensor_free(zeros);
  noma_rt_tensor_free(sum);
  noma_rt_tensor_free(scalar);
  if (failures != 0) fprintf(stderr, "%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
