// Tensor: an n-dimensional, row-major, contiguous array of float32 (or int32 for indices) on one
// device, plus what autograd needs (requires_grad, grad, the tape node that produced it).
//
// Layout choice: tensors are always contiguous. Operations that change the layout (transpose,
// permute, slice, concat) produce a new contiguous tensor; reshape shares the storage. This keeps
// every kernel a simple loop over contiguous memory at the price of explicit copies.
//
// A Tensor is a cheap handle (shared pointer); copies of the handle alias the same data.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/generator.h"
#include "core/shape.h"

namespace ag {

// A block of device memory, returned to its backend's caching allocator on destruction.
struct Storage {
  Storage(Device device, size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  Device device;
  size_t bytes;
  void* ptr;
};

class Tensor;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements (reshape views share storage at offset 0)
  Shape shape;
  DType dtype = DType::F32;

  // autograd
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // same shape and device, F32
  // grad's storage is also another tensor's gradient (adopted without a copy during a backward
  // walk): a further contribution must then be added out of place, never into the buffer.
  bool grad_shared = false;
  int64_t tape_node = -1;        // index of the producing node on the tape; -1 for a leaf
  uint64_t tape_generation = 0;  // which tape (a tape is freed after backward)
  std::string name;              // optional label, shown by the tape printer
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // --- creation ------------------------------------------------------------------------------
  static Tensor empty(const Shape& shape, Device device = Device::CPU, DType dtype = DType::F32);
  static Tensor zeros(const Shape& shape, Device device = Device::CPU);
  static Tensor ones(const Shape& shape, Device device = Device::CPU);
  static Tensor full(const Shape& shape, float value, Device device = Device::CPU);
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape,
                            Device device = Device::CPU);
  static Tensor from_indices(const std::vector<int32_t>& values, const Shape& shape,
                             Device device = Device::CPU);
  static Tensor scalar(float value, Device device = Device::CPU) {
    return from_vector({value}, {}, device);
  }
  // Normal(mean, std) and Uniform[lo, hi) draws from an explicit generator.
  static Tensor randn(const Shape& shape, Generator& gen, float mean = 0.0f, float std = 1.0f,
                      Device device = Device::CPU);
  static Tensor uniform(const Shape& shape, Generator& gen, float lo = 0.0f, float hi = 1.0f,
                        Device device = Device::CPU);

  // --- inspection ----------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int ndim() const { return int(shape().size()); }
  int64_t size(int64_t dim) const;  // negative dims count from the end
  int64_t numel() const;
  Device device() const;
  DType dtype() const;
  std::string describe() const;  // "float32[2, 3] on cpu"

  // Typed raw pointers to the first element (device memory for CUDA tensors).
  float* data();
  const float* data() const;
  int32_t* idata();
  const int32_t* idata() const;

  // Copies to the host (synchronises with the device if needed).
  std::vector<float> to_vector() const;
  std::vector<int32_t> to_int_vector() const;
  float item() const;                                  // the value of a one-element tensor
  float at(std::initializer_list<int64_t> idx) const;  // one element, for inspection

  Tensor to(Device device) const;  // a copy on `device` (the same tensor if already there)
  Tensor clone() const;            // a contiguous copy, detached from the tape
  Tensor detach() const;           // shares data, not part of the graph, no grad

  // --- autograd ------------------------------------------------------------------------------
  bool requires_grad() const;
  Tensor& requires_grad_(bool on = true);  // only on leaves
  bool is_leaf() const;
  Tensor grad() const;  // undefined until a backward pass reaches this tensor
  void set_grad(const Tensor& g);
  void zero_grad();  // drops the gradient (PyTorch's set_to_none semantics)
  Tensor& set_name(std::string name);
  const std::string& name() const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Checks used by ops: same device for all inputs, float dtype, etc. They throw ag::Error naming
// the op and the shapes/devices involved.
void check_defined(const Tensor& t, const char* op, const char* arg);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
void check_float(const Tensor& t, const char* op, const char* arg);
void check_int(const Tensor& t, const char* op, const char* arg);

}  // namespace ag
