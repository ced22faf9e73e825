// The launcher against a fake driver function table: every call checked, errors named.
#include "noma/gpu/cuda_driver.h"

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace noma::gpu {
namespace {

// A fake driver: device memory is host memory; failures can be injected per call.
struct Fake {
  int devices = 1;
  CUresult fail_alloc = CUDA_SUCCESS;
  CUresult fail_launch = CUDA_SUCCESS;
  bool no_device = false;
  std::vector<std::string> calls;
  std::map<CUdeviceptr, std::vector<char>> memory;
  CUdeviceptr next = 0x1000;
  unsigned last_grid = 0, last_block = 0;
  int contexts = 0;
};
Fake* fake = nullptr;

DriverApi FakeApi() {
  DriverApi api;
  api.init = [](unsigned) {
    fake->calls.push_back("init");
    return fake->no_device ? CUDA_ERROR_NO_DEVICE : CUDA_SUCCESS;
  };
  api.device_get_count = [](int* count) {
    *count = fake->devices;
    return CUDA_SUCCESS;
  };
  api.device_get = [](CUdevice* device, int ordinal) {
    *device = ordinal;
    return CUDA_SUCCESS;
  };
  api.device_get_name = [](char* name, int length, CUdevice) {
    std::strncpy(name, "Fake GPU", static_cast<size_t>(length));
    return CUDA_SUCCESS;
  };
  api.primary_ctx_retain = [](CUcontext* context, CUdevice) {
    ++fake->contexts;
    *context = reinterpret_cast<CUcontext>(0x42);
    return CUDA_SUCCESS;
  };
  api.primary_ctx_release = [](CUdevice) {
    --fake->contexts;
    return CUDA_SUCCESS;
  };
  api.ctx_set_current = [](CUcontext) { return CUDA_SUCCESS; };
  api.module_load_data = [](CUmodule* module, const void* image) {
    fake->calls.push_back(std::string("load:") + static_cast<const char*>(image));
    *module = reinterpret_cast<CUmodule>(0x7);
    return CUDA_SUCCESS;
  };
  api.module_unload = [](CUmodule) {
    fake->calls.push_back("unload");
    return CUDA_SUCCESS;
  };
  api.module_get_function = [](CUfunction* function, CUmodule, const char* name) {
    if (std::string(name) != "kernel") return CUDA_ERROR_NOT_FOUND;
    *function = reinterpret_cast<CUfunction>(0x9);
    return CUDA_SUCCESS;
  };
  api.mem_alloc = [](CUdeviceptr* pointer, size_t bytes) {
    if (fake->fail_alloc != CUDA_SUCCESS) return fake->fail_alloc;
    *pointer = fake->next;
    fake->memory[fake->next].resize(bytes);
    fake->next += 0x1000 + bytes;
    return CUDA_SUCCESS;
  };
  api.mem_free = [](CUdeviceptr pointer) {
    return fake->memory.erase(pointer) == 1 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
  };
  api.memcpy_htod = [](CUdeviceptr dst, const void* src, size_t bytes) {
    std::memcpy(fake->memory.at(dst).data(), src, bytes);
    return CUDA_SUCCESS;
  };
  api.memcpy_dtoh = [](void* dst, CUdeviceptr src, size_t bytes) {
    std::memcpy(dst, fake->memory.at(src).data(), bytes);
    return CUDA_SUCCESS;
  };
  api.launch_kernel = [](CUfunction, unsigned gx, unsigned, unsigned, unsigned bx, unsigned,
                         unsigned, unsigned, CUstream, void**, void**) {
    fake->last_grid = gx;
    fake->last_block = bx;
    return fake->fail_launch;
  };
  api.ctx_synchronize = []() { return CUDA_SUCCESS; };
  api.get_error_name = [](CUresult error, const char** name) {
    *name = error == CUDA_ERROR_OUT_OF_MEMORY   ? "CUDA_ERROR_OUT_OF_MEMORY"
            : error == CUDA_ERROR_LAUNCH_FAILED ? "CUDA_ERROR_LAUNCH_FAILED"
                                                : "CUDA_ERROR_OTHER";
    return CUDA_SUCCESS;
  };
  return api;
}

class CudaDriverTest : public testing::Test {
 protected:
  void SetUp() override { fake = &state_; }
  void TearDown() override { fake = nullptr; }
  Fake state_;
};

TEST_F(CudaDriverTest, MissingDriverIsAClearError) {
  absl::StatusOr<DriverApi> api = LoadDriver("libnoma-no-such-cuda.so.1");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(api.status().message().find("no CUDA driver"), std::string::npos);
}

TEST_F(CudaDriverTest, NoDeviceIsAClearError) {
  state_.no_device = true;
  auto device = Device::Open(FakeApi());
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().message(), "no CUDA device");
  state_.no_device = false;
  state_.devices = 0;
  EXPECT_EQ(Device::Open(FakeApi()).status().message(), "no CUDA device");
}

TEST_F(CudaDriverTest, RoundTripsMemoryAndLaunches) {
  auto device = Device::Open(FakeApi());
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_EQ((*device)->name(), "Fake GPU");
  auto module = (*device)->LoadModule(".version 8.0", "m.noma:1:1");
  ASSERT_TRUE(module.ok());
  EXPECT_EQ(state_.calls.back(), "load:.version 8.0");
  auto function = (*device)->Function(*module, "kernel", "m.noma:1:1");
  ASSERT_TRUE(function.ok());
  double in[3] = {1, 2, 3}, out[3] = {};
  auto buffer = (*device)->Allocate(sizeof in, "m.noma:2:3");
  ASSERT_TRUE(buffer.ok());
  ASSERT_TRUE((*device)->Upload(*buffer, in, sizeof in, "m.noma:2:3").ok());
  ASSERT_TRUE((*device)->Launch(*function, 1000, 256, {}, "m.noma:2:3").ok());
  EXPECT_EQ(state_.last_grid, 4u);  // 1000 threads in blocks of 256.
  EXPECT_EQ(state_.last_block, 256u);
  ASSERT_TRUE((*device)->Synchronize("m.noma:2:3").ok());
  ASSERT_TRUE((*device)->Download(out, *buffer, sizeof out, "m.noma:2:3").ok());
  EXPECT_EQ(out[2], 3);
  EXPECT_TRUE((*device)->Free(*buffer, "m.noma:2:3").ok());
  device->reset();
  EXPECT_EQ(state_.calls.back(), "unload");
  EXPECT_EQ(state_.contexts, 0);
}

TEST_F(CudaDriverTest, ErrorsNameTheCallAndTheSourceLocation) {
  auto device = Device::Open(FakeApi());
  ASSERT_TRUE(device.ok());
  state_.fail_alloc = CUDA_ERROR_OUT_OF_MEMORY;
  auto buffer = (*device)->Allocate(1 << 20, "model.noma:12:5");
  ASSERT_FALSE(buffer.ok());
  EXPECT_EQ(buffer.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(buffer.status().message().find("CUDA_ERROR_OUT_OF_MEMORY"), std::string::npos);
  EXPECT_NE(buffer.status().message().find("cuMemAlloc (at model.noma:12:5)"), std::string::npos);
  state_.fail_launch = CUDA_ERROR_LAUNCH_FAILED;
  absl::Status launched = (*device)->Launch(reinterpret_cast<CUfunction>(0x9), 10, 32, {}, "a:1:2");
  EXPECT_NE(launched.message().find("CUDA_ERROR_LAUNCH_FAILED"), std::string::npos);
  auto missing = (*device)->Function(reinterpret_cast<CUmodule>(0x7), "nope", "a:1:2");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cuModuleGetFunction"), std::string::npos);
  // Not in the module is NotFound: the launcher then computes on the host.
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no GPU kernel nope"), std::string::npos);
}

}  // namespace
}  // namespace noma::gpu
