#include "nn/checkpoint.h"

#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/ops.h"

namespace ag::nn {

namespace {

constexpr char kMagic[8] = {'T', 'P', 'G', 'C', 'K', 'P', 'T', '\0'};
constexpr char kTrailer[8] = {'T', 'P', 'G', 'E', 'N', 'D', '\0', '\0'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxDims = 16;  // sanity bound when reading

// The format is little-endian; so is every machine we build for (x86-64, and the GPUs' hosts).
static_assert(std::endian::native == std::endian::little, "checkpoint I/O assumes little-endian");

// --- writing -------------------------------------------------------------------------------

class Writer {
 public:
  Writer(std::string path, std::string tmp) : path_(std::move(path)), tmp_(std::move(tmp)) {
    file_ = std::fopen(tmp_.c_str(), "wb");
    if (!file_) fail_io("cannot create");
  }
  ~Writer() {  // reached without commit(): an error was thrown, drop the partial file
    if (file_) std::fclose(file_);
    if (!committed_) std::remove(tmp_.c_str());
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void bytes(const void* data, size_t n) {
    if (n && std::fwrite(data, 1, n, file_) != n) fail_io("write failed for");
  }
  template <class T>
  void value(T v) {
    bytes(&v, sizeof v);
  }

  // Flushes to disk, then renames the temporary over the final path.
  void commit() {
    if (std::fflush(file_) != 0) fail_io("flush failed for");
    if (::fsync(::fileno(file_)) != 0) fail_io("fsync failed for");
    FILE* f = file_;
    file_ = nullptr;
    if (std::fclose(f) != 0) fail_io("close failed for");
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
      fail("save_checkpoint: cannot rename ", tmp_, " to ", path_, ": ", std::strerror(errno));
    }
    committed_ = true;
  }

 private:
  [[noreturn]] void fail_io(const char* what) {
    const int err = errno;
    fail("save_checkpoint: ", what, " ", tmp_, " (writing ", path_,
         "): ", err ? std::strerror(err) : "unknown error");
  }

  std::string path_, tmp_;
  FILE* file_ = nullptr;
  bool committed_ = false;
};

// --- reading -------------------------------------------------------------------------------

// A bounds-checked cursor over the whole file; every read names what it was reading.
class Reader {
 public:
  Reader(std::string path, std::vector<char> data)
      : path_(std::move(path)), data_(std::move(data)) {}

  size_t left() const { return data_.size() - pos_; }
  size_t pos() const { return pos_; }

  const char* take(size_t n, const std::string& what) {
    if (n > left()) {
      fail("load_checkpoint: ", path_, " is truncated: ", what, " needs ", n, " bytes at offset ",
           pos_, " but only ", left(), " remain (file size ", data_.size(), ")");
    }
    const char* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <class T>
  T value(const std::string& what) {
    T v;
    std::memcpy(&v, take(sizeof v, what), sizeof v);
    return v;
  }
  [[noreturn]] void bad(const std::string& what) const {
    fail("load_checkpoint: ", path_, ": ", what);
  }

 private:
  std::string path_;
  std::vector<char> data_;
  size_t pos_ = 0;
};

std::vector<char> read_all(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail("load_checkpoint: cannot open ", path, ": ", std::strerror(errno));
  std::vector<char> data;
  char buf[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.insert(data.end(), buf, buf + n);
  const bool error = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (error) fail("load_checkpoint: read error on ", path, ": ", std::strerror(err));
  return data;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  // Validate before touching the disk.
  std::set<std::string> names;
  for (const auto& [name, t] : ckpt.tensors) {
    AG_CHECK(t.defined(), "save_checkpoint: tensor '", name, "' is undefined (writing ", path, ")");
    AG_CHECK(!name.empty() && name.size() <= std::numeric_limits<uint32_t>::max(),
             "save_checkpoint: tensor name '", name, "' is empty or too long (writing ", path, ")");
    AG_CHECK(names.insert(name).second, "save_checkpoint: tensor '", name,
             "' appears twice (writing ", path, ")");
  }
  Writer w(path, path + ".tmp");
  w.bytes(kMagic, sizeof kMagic);
  w.value<uint32_t>(kVersion);
  w.value<uint64_t>(ckpt.metadata_json.size());
  w.bytes(ckpt.metadata_json.data(), ckpt.metadata_json.size());
  w.value<uint64_t>(ckpt.tensors.size());
  for (const auto& [name, t] : ckpt.tensors) {
    w.value<uint32_t>(uint32_t(name.size()));
    w.bytes(name.data(), name.size());
    w.value<uint8_t>(t.dtype() == DType::F32 ? 0 : 1);
    w.value<uint32_t>(uint32_t(t.ndim()));
    for (int64_t d : t.shape()) w.value<int64_t>(d);
    const Tensor host = t.to(Device::CPU);  // a copy for device tensors, the tensor itself on CPU
    const size_t bytes = size_t(host.numel()) * dtype_size(host.dtype());
    w.bytes(host.dtype() == DType::F32 ? static_cast<const void*>(host.data())
                                       : static_cast<const void*>(host.idata()),
            bytes);
  }
  w.bytes(kTrailer, sizeof kTrailer);
  w.commit();
}

Checkpoint load_checkpoint(const std::string& path) {
  Reader r(path, read_all(path));
  const char* magic = r.take(sizeof kMagic, "the magic number");
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    r.bad("bad magic number: not a tapegrad checkpoint");
  const uint32_t version = r.value<uint32_t>("the version");
  if (version != kVersion)
    r.bad("unsupported checkpoint version " + std::to_string(version) + " (this build reads " +
          std::to_string(kVersion) + ")");

  Checkpoint ckpt;
  const uint64_t meta_len = r.value<uint64_t>("the metadata length");
  if (meta_len > r.left())
    r.bad("metadata length " + std::to_string(meta_len) + " exceeds the " +
          std::to_string(r.left()) + " bytes left: the file is truncated or corrupt");
  ckpt.metadata_json.assign(r.take(size_t(meta_len), "the metadata"), size_t(meta_len));

  const uint64_t count = r.value<uint64_t>("the tensor count");
  // Each tensor takes at least 9 bytes of header, so a larger count cannot be right.
  if (count > r.left() / 9)
    r.bad("tensor count " + std::to_string(count) + " is impossible for the " +
          std::to_string(r.left()) + " bytes left: the file is truncated or corrupt");
  std::set<std::string> seen;
  for (uint64_t i = 0; i < count; ++i) {
    const std::string which = "tensor " + std::to_string(i);
    const uint32_t name_len = r.value<uint32_t>(which + "'s name length");
    std::string name(r.take(name_len, which + "'s name"), name_len);
    const std::string label = which + " ('" + name + "')";
    if (name.empty()) r.bad(which + " has an empty name");
    if (!seen.insert(name).second) r.bad(label + " appears twice");
    const uint8_t dtype = r.value<uint8_t>(label + "'s dtype");
    if (dtype > 1) r.bad(label + " has unknown dtype code " + std::to_string(dtype));
    const uint32_t ndim = r.value<uint32_t>(label + "'s rank");
    if (ndim > kMaxDims) r.bad(label + " has " + std::to_string(ndim) + " dims (corrupt)");
    Shape shape(ndim);
    int64_t nonzero_product = 1;  // kept finite so Shape arithmetic never overflows
    bool empty = false;           // a zero dimension: no data
    for (uint32_t d = 0; d < ndim; ++d) {
      const int64_t size = r.value<int64_t>(label + "'s shape");
      if (size < 0) r.bad(label + " has a negative dimension " + std::to_string(size));
      shape[d] = size;
      if (size == 0) {
        empty = true;
      } else if (nonzero_product > std::numeric_limits<int64_t>::max() / 8 / size) {
        r.bad(label + "'s shape " + to_string(shape) + "... is too large (corrupt file)");
      } else {
        nonzero_product *= size;
      }
    }
    const uint64_t bytes = empty ? 0 : uint64_t(nonzero_product) * 4;
    if (bytes > r.left()) {
      r.bad("truncated: " + label + "'s data " + to_string(shape) + " needs " +
            std::to_string(bytes) + " bytes at offset " + std::to_string(r.pos()) + " but only " +
            std::to_string(r.left()) + " remain");
    }
    const char* src = r.take(size_t(bytes), label + "'s data");
    Tensor t = Tensor::empty(shape, Device::CPU, dtype == 0 ? DType::F32 : DType::I32);
    if (bytes) {
      std::memcpy(dtype == 0 ? static_cast<void*>(t.data()) : static_cast<void*>(t.idata()), src,
                  size_t(bytes));
    }
    ckpt.tensors.emplace_back(std::move(name), std::move(t));
  }
  const char* trailer = r.take(sizeof kTrailer, "the end marker");
  if (std::memcmp(trailer, kTrailer, sizeof kTrailer) != 0)
    r.bad("end marker missing at offset " + std::to_string(r.pos() - sizeof kTrailer) +
          " (corrupt file)");
  if (r.left() != 0) r.bad(std::to_string(r.left()) + " unexpected bytes after the end marker");
  return ckpt;
}

void restore_parameters(const std::vector<std::pair<std::string, Tensor>>& saved,
                        const std::vector<std::pair<std::string, Tensor*>>& params) {
  std::unordered_map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : saved) by_name.emplace(name, &t);
  // Check everything first so that a failure leaves the parameters untouched.
  for (const auto& [name, p] : params) {
    const auto it = by_name.find(name);
    AG_CHECK(it != by_name.end(), "restore_parameters: parameter '", name,
             "' is missing from the checkpoint");
    const Tensor& t = *it->second;
    AG_CHECK(t.defined() && t.dtype() == p->dtype() && t.shape() == p->shape(),
             "restore_parameters: parameter '", name, "' is ", p->describe(),
             " but the checkpoint holds ", t.describe());
  }
  NoGradGuard no_grad;
  for (const auto& [name, p] : params) copy_(*p, *by_name.at(name));
}

}  // namespace ag::nn
