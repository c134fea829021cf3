#include "core/tensor.h"

#include <new>
#include <sstream>
#include <stdexcept>

#include "core/backend.h"
#include "core/error.h"

namespace ag {

Storage::Storage(Device device_, size_t bytes_)
    : device(device_), bytes(bytes_), ptr(bytes_ ? backend(device_).allocate(bytes_) : nullptr) {}

Storage::~Storage() {
  if (ptr) backend(device).deallocate(ptr, bytes);
}

namespace {

const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl) {
  if (!impl) fail("use of an undefined tensor");
  return *impl;
}

// The host buffer a random tensor is drawn into: the shape is checked first, and running out
// of memory is an ag::Error naming the op and the size, like the backends' own allocations.
std::vector<float> host_values(const Shape& shape, const char* op) {
  const int64_t numel = checked_numel(shape, op);
  try {
    return std::vector<float>(size_t(numel));
  } catch (const std::bad_alloc&) {
    fail(op, ": out of host memory for the ", numel, " values of shape ", to_string(shape), " (",
         (uint64_t(numel) * sizeof(float)) >> 20, " MiB)");
  } catch (const std::length_error&) {
    fail(op, ": the ", numel, " values of shape ", to_string(shape),
         " do not fit in one host buffer");
  }
}

}  // namespace

// --- creation ------------------------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, Device device, DType dtype) {
  const int64_t numel = checked_numel(shape, "tensor");
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(device, size_t(numel) * dtype_size(dtype));
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, Device device) {
  return full(shape, 0.0f, device);
}
Tensor Tensor::ones(const Shape& shape, Device device) {
  return full(shape, 1.0f, device);
}

Tensor Tensor::full(const Shape& shape, float value, Device device) {
  Tensor t = empty(shape, device);
  backend(device).fill(t.data(), t.numel(), value);
  return t;
}

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape, Device device) {
  AG_CHECK(int64_t(values.size()) == checked_numel(shape, "from_vector"),
           "from_vector: ", values.size(), " values do not fill shape ", to_string(shape));
  Tensor t = empty(shape, device);
  backend(device).copy_from_host(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::from_indices(const std::vector<int32_t>& values, const Shape& shape, Device device) {
  AG_CHECK(int64_t(values.size()) == checked_numel(shape, "from_indices"),
           "from_indices: ", values.size(), " values do not fill shape ", to_string(shape));
  Tensor t = empty(shape, device, DType::I32);
  backend(device).copy_from_host(t.idata(), values.data(), values.size() * sizeof(int32_t));
  return t;
}

Tensor Tensor::randn(const Shape& shape, Generator& gen, float mean, float std, Device device) {
  std::vector<float> v = host_values(shape, "randn");
  for (float& x : v) x = mean + std * gen.normal();
  return from_vector(v, shape, device);
}

Tensor Tensor::uniform(const Shape& shape, Generator& gen, float lo, float hi, Device device) {
  std::vector<float> v = host_values(shape, "uniform");
  for (float& x : v) x = lo + (hi - lo) * gen.uniform();
  return from_vector(v, shape, device);
}

// --- inspection ----------------------------------------------------------------------------

const Shape& Tensor::shape() const {
  return checked(impl_).shape;
}
int64_t Tensor::numel() const {
  return numel_of(shape());
}
Device Tensor::device() const {
  return checked(impl_).storage->device;
}
DType Tensor::dtype() const {
  return checked(impl_).dtype;
}

int64_t Tensor::size(int64_t dim) const {
  return shape()[normalize_dim(dim, ndim(), "size")];
}

std::string Tensor::describe() const {
  if (!impl_) return "undefined tensor";
  std::ostringstream os;
  os << dtype_name(dtype()) << to_string(shape()) << " on " << device_name(device());
  return os.str();
}

float* Tensor::data() {
  AG_CHECK(dtype() == DType::F32, "data(): tensor is ", describe(), ", not float32");
  return static_cast<float*>(impl_->storage->ptr) + impl_->offset;
}
const float* Tensor::data() const {
  return const_cast<Tensor*>(this)->data();
}

int32_t* Tensor::idata() {
  AG_CHECK(dtype() == DType::I32, "idata(): tensor is ", describe(), ", not int32");
  return static_cast<int32_t*>(impl_->storage->ptr) + impl_->offset;
}
const int32_t* Tensor::idata() const {
  return const_cast<Tensor*>(this)->idata();
}

std::vector<float> Tensor::to_vector() const {
  std::vector<float> v(static_cast<size_t>(numel()));
  if (!v.empty()) backend(device()).copy_to_host(v.data(), data(), v.size() * sizeof(float));
  return v;
}

std::vector<int32_t> Tensor::to_int_vector() const {
  std::vector<int32_t> v(static_cast<size_t>(numel()));
  if (!v.empty()) backend(device()).copy_to_host(v.data(), idata(), v.size() * sizeof(int32_t));
  return v;
}

float Tensor::item() const {
  AG_CHECK(numel() == 1, "item(): tensor ", describe(), " has ", numel(), " elements, not 1");
  float v = 0.0f;
  backend(device()).copy_to_host(&v, data(), sizeof v);
  return v;
}

float Tensor::at(std::initializer_list<int64_t> idx) const {
  const Shape& s = shape();
  AG_CHECK(idx.size() == s.size(), "at(): ", idx.size(), " indices for shape ", to_string(s));
  int64_t flat = 0;
  size_t d = 0;
  for (int64_t i : idx) {
    AG_CHECK(i >= 0 && i < s[d], "at(): index ", i, " out of range for dim ", d, " of ",
             to_string(s));
    flat = flat * s[d] + i;
    ++d;
  }
  float v = 0.0f;
  backend(device()).copy_to_host(&v, data() + flat, sizeof v);
  return v;
}

Tensor Tensor::to(Device target) const {
  if (device() == target) return *this;
  Tensor out = empty(shape(), target, dtype());
  const size_t bytes = size_t(numel()) * dtype_size(dtype());
  if (bytes == 0) return out;
  const void* src = static_cast<const char*>(impl_->storage->ptr) + impl_->offset * 4;
  void* dst = out.impl_->storage->ptr;
  if (target == Device::CPU) {
    backend(device()).copy_to_host(dst, src, bytes);
  } else {
    backend(target).copy_from_host(dst, src, bytes);
  }
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), device(), dtype());
  const size_t bytes = size_t(numel()) * dtype_size(dtype());
  if (bytes) {
    backend(device()).copy(out.impl_->storage->ptr,
                           static_cast<const char*>(impl_->storage->ptr) + impl_->offset * 4,
                           bytes);
  }
  return out;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = checked(impl_).storage;
  impl->offset = impl_->offset;
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  return Tensor(std::move(impl));
}

// --- autograd ------------------------------------------------------------------------------

bool Tensor::requires_grad() const {
  return checked(impl_).requires_grad;
}
bool Tensor::is_leaf() const {
  return checked(impl_).tape_node < 0;
}

Tensor& Tensor::requires_grad_(bool on) {
  AG_CHECK(is_leaf(), "requires_grad_: only leaf tensors can change requires_grad (", describe(),
           " was produced by an op)");
  AG_CHECK(!on || dtype() == DType::F32, "requires_grad_: ", describe(),
           " is an integer tensor; only float tensors have gradients");
  impl_->requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const {
  return Tensor(checked(impl_).grad);
}

void Tensor::set_grad(const Tensor& g) {
  checked(impl_);
  if (g.defined()) {
    AG_CHECK(g.shape() == shape() && g.device() == device(), "set_grad: gradient ", g.describe(),
             " does not match tensor ", describe());
  }
  impl_->grad = g.impl_ptr();
}

void Tensor::zero_grad() {
  checked(impl_);
  impl_->grad.reset();
}

Tensor& Tensor::set_name(std::string name) {
  checked(impl_);
  impl_->name = std::move(name);
  return *this;
}

const std::string& Tensor::name() const {
  return checked(impl_).name;
}

// --- checks --------------------------------------------------------------------------------

void check_defined(const Tensor& t, const char* op, const char* arg) {
  AG_CHECK(t.defined(), op, ": argument '", arg, "' is an undefined tensor");
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  AG_CHECK(a.device() == b.device(), op, ": tensors are on different devices (", a.describe(),
           " and ", b.describe(), "); move one with .to(device)");
}

void check_float(const Tensor& t, const char* op, const char* arg) {
  check_defined(t, op, arg);
  AG_CHECK(t.dtype() == DType::F32, op, ": argument '", arg, "' must be float32, got ",
           t.describe());
}

void check_int(const Tensor& t, const char* op, const char* arg) {
  check_defined(t, op, arg);
  AG_CHECK(t.dtype() == DType::I32, op, ": argument '", arg, "' must be int32 indices, got ",
           t.describe());
}

}  // namespace ag
