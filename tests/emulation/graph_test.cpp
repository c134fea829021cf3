// Stream capture and graph replay on the emulated device, against CUDA's documented behaviour:
// nothing runs while capturing, each launch of the instantiated graph replays the recorded work
// with the arguments it had at capture, and calls that would wait for the device during a capture
// fail and invalidate it.
#include <gtest/gtest.h>

#include <vector>

#include "tests/emulation/emu_test.h"

namespace {

using emutest::DeviceBuffer;

// y = y * a + b, elementwise.
__global__ void axpb(float* y, float a, float b, int n) {
  for (int i = int(blockIdx.x * blockDim.x + threadIdx.x); i < n; i += int(gridDim.x * blockDim.x))
    y[i] = y[i] * a + b;
}

class EmulatedGraph : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), cudaSuccess);
  }
  void TearDown() override { EXPECT_EQ(cudaStreamDestroy(stream_), cudaSuccess); }
  cudaStream_t stream_ = nullptr;
};

TEST_F(EmulatedGraph, a_launch_replays_the_captured_work_with_its_arguments) {
  const int n = 1000;
  DeviceBuffer<float> y(std::vector<float>(n, 1.0f));
  float a = 2.0f;
  ASSERT_EQ(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeGlobal), cudaSuccess);
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  ASSERT_EQ(cudaStreamIsCapturing(stream_, &status), cudaSuccess);
  EXPECT_EQ(status, cudaStreamCaptureStatusActive);
  ASSERT_EQ(cuda_emu::launch_kernel(axpb, 4, 128, stream_, y.get(), a, 1.0f, n), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(y.get(), 0, sizeof(float), stream_), cudaSuccess);  // y[0] = 0
  a = 100.0f;  // arguments were copied at the launch: the graph keeps a = 2
  cudaGraph_t graph = nullptr;
  ASSERT_EQ(cudaStreamEndCapture(stream_, &graph), cudaSuccess);
  ASSERT_NE(graph, nullptr);
  EXPECT_EQ(y.host(), std::vector<float>(n, 1.0f)) << "capturing runs nothing";

  cudaGraphExec_t exec = nullptr;
  ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
  ASSERT_EQ(cudaGraphDestroy(graph), cudaSuccess);  // the executable keeps the recorded work
  for (int r = 0; r < 3; ++r) ASSERT_EQ(cudaGraphLaunch(exec, stream_), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(stream_), cudaSuccess);
  // y: 1 -> 3 -> 7 -> 15 for i > 0; y[0] is zeroed after each replay's kernel: 0*2+1 then 0.
  std::vector<float> want(n, 15.0f);
  want[0] = 0.0f;
  EXPECT_EQ(y.host(), want);
  EXPECT_EQ(cudaGraphExecDestroy(exec), cudaSuccess);
}

TEST_F(EmulatedGraph, waiting_for_the_device_during_capture_invalidates_it) {
  DeviceBuffer<float> y(16);
  ASSERT_EQ(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeGlobal), cudaSuccess);
  ASSERT_EQ(cuda_emu::launch_kernel(axpb, 1, 32, stream_, y.get(), 1.0f, 1.0f, 16), cudaSuccess);
  EXPECT_EQ(cudaStreamSynchronize(stream_), cudaErrorStreamCaptureUnsupported);
  float host = 0.0f;
  EXPECT_EQ(cudaMemcpyAsync(&host, y.get(), 4, cudaMemcpyDeviceToHost, stream_),
            cudaErrorStreamCaptureUnsupported)
      << "a copy to pageable memory would wait";
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, 64), cudaErrorStreamCaptureUnsupported) << "global mode";
  cudaGraph_t graph = nullptr;
  EXPECT_EQ(cudaStreamEndCapture(stream_, &graph), cudaErrorStreamCaptureInvalidated);
  EXPECT_EQ(graph, nullptr);
  (void)cudaGetLastError();
  // The stream works normally again.
  EXPECT_EQ(cudaMemsetAsync(y.get(), 0, 64, stream_), cudaSuccess);
  EXPECT_EQ(cudaStreamSynchronize(stream_), cudaSuccess);
}

TEST_F(EmulatedGraph, capture_calls_out_of_order_are_refused) {
  cudaGraph_t graph = nullptr;
  EXPECT_EQ(cudaStreamEndCapture(stream_, &graph), cudaErrorIllegalState) << "not capturing";
  EXPECT_EQ(cudaStreamBeginCapture(nullptr, cudaStreamCaptureModeGlobal), cudaErrorInvalidValue)
      << "the legacy default stream cannot capture";
  ASSERT_EQ(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed), cudaSuccess);
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, 64), cudaSuccess) << "relaxed mode allows allocating";
  EXPECT_EQ(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeGlobal), cudaErrorIllegalState);
  ASSERT_EQ(cudaStreamEndCapture(stream_, &graph), cudaSuccess);
  EXPECT_EQ(cudaGraphDestroy(graph), cudaSuccess);
  EXPECT_EQ(cudaFree(p), cudaSuccess);
  (void)cudaGetLastError();
}

}  // namespace
