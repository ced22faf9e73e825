#ifndef NOMA_RUNTIME_DEVICE_H_
#define NOMA_RUNTIME_DEVICE_H_

// An accelerator for the program runtime (program.h). When a backend is installed, tensor
// operations that it can run (elementwise chains with broadcasting, matmul, transpose, sums
// and means) run there, on tensors that stay in device memory: a tensor has a host copy, a
// device copy or both, and a copy is made only when the other side needs it (printing,
// saving, indexing, an operation the device does not run, a scalar result). Everything else
// is unchanged, so a program computes what it computes on the CPU and reports the same errors.
// The runtime knows nothing of CUDA; noma/gpu implements this interface.
//
// Every kernel computes each result element with the CPU kernels' operations in their order
// (docs/numerics.md: sequential sums; matmul as one fused multiply-add per term in increasing
// k; no other contraction), so results match the CPU path up to the math library's last bit
// (exp, tanh, log, ...).

#include <cstdint>

#include "noma/runtime/base.h"

namespace noma::runtime {

// An address in device memory; 0 is none.
using DeviceAddress = uint64_t;

// One operand of an elementwise kernel: element (r, c) is data[r * row_stride + c * col_stride]
// (strides 0 where the operand is broadcast), or `scalar` when data is 0.
struct DeviceOperand {
  DeviceAddress data = 0;
  int64_t row_stride = 0;
  int64_t col_stride = 0;
  double scalar = 0;
};

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;

  virtual base::StatusOr<DeviceAddress> Allocate(int64_t elements) = 0;
  virtual void Free(DeviceAddress address, int64_t elements) = 0;
  virtual base::Status Upload(DeviceAddress dst, const double* src, int64_t elements) = 0;
  // Waits for the kernels that write `src`.
  virtual base::Status Download(double* dst, DeviceAddress src, int64_t elements) = 0;

  // out[r, c] = chain(operands at (r, c)) for a [rows, cols] result; `program` is
  // noma_p_group_begin's encoding (program.h). NotFound when the backend has no kernel for this
  // chain: the runtime then computes it on the host.
  virtual base::Status Elementwise(base::Span<const int32_t> program, DeviceAddress out,
                                   int64_t rows, int64_t cols,
                                   base::Span<const DeviceOperand> operands) = 0;
  // out[n, m] = a[n, k] · b[k, m].
  virtual base::Status Matmul(DeviceAddress out, DeviceAddress a, DeviceAddress b, int64_t n,
                              int64_t k, int64_t m) = 0;
  // out[cols, rows] = a[rows, cols]ᵀ.
  virtual base::Status Transpose(DeviceAddress out, DeviceAddress a, int64_t rows,
                                 int64_t cols) = 0;
  // x viewed as [outer, n, inner]: out[o, j] = (Σ_k x[o, k, j]) / divisor, summed in k order.
  virtual base::Status Reduce(DeviceAddress out, DeviceAddress x, int64_t outer, int64_t n,
                              int64_t inner, double divisor) = 0;
};

// Installs `backend` (not owned; nullptr: CPU only) for the programs run after this call.
// Tensors made while a backend is installed must be released before it is replaced.
void SetDeviceBackend(DeviceBackend* backend);
DeviceBackend* GetDeviceBackend();

}  // namespace noma::runtime

#endif  // NOMA_RUNTIME_DEVICE_H_
