#include "nn/checkpoint.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <unordered_map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/ops.h"

namespace ag::nn {

namespace {

constexpr char kMagic[8] = {'T', 'P', 'G', 'C', 'K', 'P', 'T', '\0'};
constexpr char kTrailer[8] = {'T', 'P', 'G', 'E', 'N', 'D', '\0', '\0'};
constexpr uint32_t kOldVersion = 1;  // no file size, no checksum
constexpr uint32_t kMaxDims = 16;    // sanity bound when reading
// magic, version, file size; and the checksum at the end.
constexpr size_t kPrefixBytes = sizeof kMagic + 4 + 8;
constexpr size_t kChecksumBytes = 4;

// The format is little-endian; so is every machine we build for (x86-64, and the GPUs' hosts).
static_assert(std::endian::native == std::endian::little, "checkpoint I/O assumes little-endian");

uint32_t crc_of(const void* data, size_t n, uint32_t crc = 0) {
  if (n == 0) return crc;  // zlib reads a null buffer as "return the initial value"
  return uint32_t(::crc32_z(crc, static_cast<const Bytef*>(data), n));
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// --- writing -------------------------------------------------------------------------------

// The atomic file, with a running CRC-32 of what went into it.
class Writer {
 public:
  explicit Writer(const std::string& path) : file_(path) {}
  void bytes(const void* data, size_t n) {
    file_.write(data, n);
    crc_ = crc_of(data, n, crc_);
  }
  template <class T>
  void value(T v) {
    bytes(&v, sizeof v);
  }
  void finish() {
    const uint32_t crc = crc_;
    file_.write(&crc, sizeof crc);
    file_.commit();
  }

 private:
  AtomicFile file_;
  uint32_t crc_ = 0;
};

// --- reading -------------------------------------------------------------------------------

// A bounds-checked cursor over the whole file; every read names what it was reading.
class Reader {
 public:
  Reader(std::string path, std::string_view data) : path_(std::move(path)), data_(data) {}

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
  std::string_view data_;
  size_t pos_ = 0;
};

std::string read_all(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail("load_checkpoint: cannot open ", path, ": ", std::strerror(errno));
  std::string data;
  char buf[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  const bool error = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (error) fail("load_checkpoint: read error on ", path, ": ", std::strerror(err));
  return data;
}

template <class T>
T read_at(std::string_view data, size_t offset) {
  T v;
  std::memcpy(&v, data.data() + offset, sizeof v);
  return v;
}

// The checks that come before anything in the file is interpreted: magic, version, size and
// checksum. Every message of a file whose checksum does not match says so.
void check_envelope(std::string_view data, const std::string& path) {
  auto bad = [&](const std::string& what) { fail("load_checkpoint: ", path, ": ", what); };
  const size_t size = data.size();
  const bool magic_ok =
      size >= sizeof kMagic && std::memcmp(data.data(), kMagic, sizeof kMagic) == 0;
  if (size < kPrefixBytes + kChecksumBytes) {
    if (!magic_ok && std::memcmp(data.data(), kMagic, std::min(size, sizeof kMagic)) != 0)
      bad("bad magic number: not a tapegrad checkpoint (" + std::to_string(size) + " bytes)");
    bad("truncated: " + std::to_string(size) + " bytes, too short for a checkpoint's header");
  }
  const uint32_t stored = read_at<uint32_t>(data, size - kChecksumBytes);
  const uint32_t computed = crc_of(data.data(), size - kChecksumBytes);
  const bool crc_ok = stored == computed;
  const std::string mismatch =
      "checksum mismatch (stored crc32 " + hex32(stored) + ", computed " + hex32(computed) + ")";
  if (!magic_ok) {
    bad("bad magic number: not a tapegrad checkpoint" +
        (crc_ok ? std::string() : ", or a corrupt one: " + mismatch));
  }
  const uint32_t version = read_at<uint32_t>(data, sizeof kMagic);
  if (version == kOldVersion && size >= sizeof kTrailer &&
      std::memcmp(data.data() + size - sizeof kTrailer, kTrailer, sizeof kTrailer) == 0) {
    bad("checkpoint format version 1 (an older build's, without a checksum) is not read by this "
        "build, which reads version " +
        std::to_string(kCheckpointVersion) + " only; make a new checkpoint");
  }
  if (version != kCheckpointVersion) {
    if (!crc_ok)
      bad(mismatch + ": the file is corrupt (its version field reads " + std::to_string(version) +
          ")");
    bad("unsupported checkpoint version " + std::to_string(version) + " (this build reads " +
        std::to_string(kCheckpointVersion) + ")");
  }
  const uint64_t recorded = read_at<uint64_t>(data, sizeof kMagic + 4);
  if (recorded != size) {
    const std::string what = recorded > size
                                 ? "truncated: " + std::to_string(size) + " of the " +
                                       std::to_string(recorded) + " bytes its header records"
                                 : std::to_string(size - recorded) + " bytes more than the " +
                                       std::to_string(recorded) + " its header records";
    bad(what + (crc_ok ? std::string() : "; " + mismatch));
  }
  if (!crc_ok) bad(mismatch + ": the file is corrupt");
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  // Validate before touching the disk.
  std::set<std::string> names;
  uint64_t size =
      kPrefixBytes + 8 + ckpt.metadata_json.size() + 8 + sizeof kTrailer + kChecksumBytes;
  std::vector<Tensor> host(ckpt.tensors.size());
  for (size_t i = 0; i < ckpt.tensors.size(); ++i) {
    const auto& [name, t] = ckpt.tensors[i];
    AG_CHECK(t.defined(), "save_checkpoint: tensor '", name, "' is undefined (writing ", path, ")");
    AG_CHECK(!name.empty() && name.size() <= std::numeric_limits<uint32_t>::max(),
             "save_checkpoint: tensor name '", name, "' is empty or too long (writing ", path, ")");
    AG_CHECK(names.insert(name).second, "save_checkpoint: tensor '", name,
             "' appears twice (writing ", path, ")");
    AG_CHECK(t.ndim() <= int64_t(kMaxDims), "save_checkpoint: tensor '", name, "' has ", t.ndim(),
             " dims, more than ", kMaxDims, " (writing ", path, ")");
    host[i] = t.to(Device::CPU);  // a copy for device tensors, the tensor itself on CPU
    size += 4 + name.size() + 1 + 4 + 8 * uint64_t(t.ndim()) +
            uint64_t(host[i].numel()) * dtype_size(host[i].dtype());
  }
  Writer w(path);
  w.bytes(kMagic, sizeof kMagic);
  w.value<uint32_t>(kCheckpointVersion);
  w.value<uint64_t>(size);
  w.value<uint64_t>(ckpt.metadata_json.size());
  w.bytes(ckpt.metadata_json.data(), ckpt.metadata_json.size());
  w.value<uint64_t>(ckpt.tensors.size());
  for (size_t i = 0; i < ckpt.tensors.size(); ++i) {
    const std::string& name = ckpt.tensors[i].first;
    const Tensor& t = host[i];
    w.value<uint32_t>(uint32_t(name.size()));
    w.bytes(name.data(), name.size());
    w.value<uint8_t>(t.dtype() == DType::F32 ? 0 : 1);
    w.value<uint32_t>(uint32_t(t.ndim()));
    for (int64_t d : t.shape()) w.value<int64_t>(d);
    const size_t bytes = size_t(t.numel()) * dtype_size(t.dtype());
    w.bytes(t.dtype() == DType::F32 ? static_cast<const void*>(t.data())
                                    : static_cast<const void*>(t.idata()),
            bytes);
  }
  w.bytes(kTrailer, sizeof kTrailer);
  w.finish();
}

Checkpoint load_checkpoint(const std::string& path) {
  const std::string data = read_all(path);
  return parse_checkpoint(data, path);
}

Checkpoint parse_checkpoint(std::string_view data, const std::string& path) {
  check_envelope(data, path);
  // The checksum matched: what follows guards against files made by a buggy writer.
  Reader r(path, data.substr(0, data.size() - kChecksumBytes));
  r.take(kPrefixBytes, "the header");

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
    const std::string label = which + " ('" + printable(name, 80) + "')";
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
