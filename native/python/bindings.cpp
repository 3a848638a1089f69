// Thin pybind11 layer: checks numpy layouts and dtypes, then calls the core without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "../src/blur.h"
#include "../src/core.h"
#include "../src/hash_list.h"
#include "../src/kernels.h"
#include "../src/pdq.h"
#include "../src/probe.h"

namespace py = pybind11;
using nudeguard::PixelFormat;
using nudeguard::TensorType;

namespace {

std::string repr_of(const py::handle& obj) { return py::repr(obj).cast<std::string>(); }

py::array as_array(const py::object& obj, const char* name) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error(std::string(name) + " must be a numpy.ndarray, got " +
                         repr_of(py::type::handle_of(obj)));
  }
  return py::reinterpret_borrow<py::array>(obj);
}

std::string shape_of(const py::array& a) { return repr_of(a.attr("shape")); }

int checked_side(py::ssize_t n, const char* what) {
  if (n > nudeguard::kMaxSide) {
    throw py::value_error(std::string(what) + " " + std::to_string(n) + " exceeds " +
                          std::to_string(nudeguard::kMaxSide) + " pixels");
  }
  return static_cast<int>(n);
}

nudeguard::Image image_of(const py::array& src, PixelFormat format) {
  if (!py::isinstance<py::array_t<std::uint8_t>>(src)) {
    throw py::type_error("src must have dtype uint8, got " + repr_of(src.dtype()));
  }
  const int c = nudeguard::channels_of(format);
  const bool gray_2d = format == PixelFormat::GRAY && src.ndim() == 2;
  if (!gray_2d && (src.ndim() != 3 || src.shape(2) != c)) {
    const std::string expected = format == PixelFormat::GRAY ? "(H, W) or (H, W, 1)"
                                                             : "(H, W, " + std::to_string(c) + ")";
    throw py::value_error("src must have shape " + expected + " for " +
                          py::str(py::cast(format)).cast<std::string>() + ", got " + shape_of(src));
  }
  const py::ssize_t h = src.shape(0), w = src.shape(1);
  // Strides of length-1 axes are arbitrary in numpy, so only real steps are checked.
  if ((w > 1 && src.strides(1) != c) || (c > 1 && src.strides(2) != 1)) {
    throw py::value_error("src pixels must be contiguous within a row (strides[1] == " +
                          std::to_string(c) + ", strides[2] == 1), got strides " +
                          repr_of(src.attr("strides")) + "; use np.ascontiguousarray(src)");
  }
  const py::ssize_t stride = h > 1 ? src.strides(0) : w * c;
  if (stride <= 0) {
    throw py::value_error("src rows must be stored top to bottom (strides[0] > 0), got strides " +
                          repr_of(src.attr("strides")) + "; use np.ascontiguousarray(src)");
  }
  return {static_cast<const std::uint8_t*>(src.data()), checked_side(w, "src width"),
          checked_side(h, "src height"), stride, format};
}

TensorType tensor_type_of(const py::array& dst) {
  if (py::isinstance<py::array_t<std::uint8_t>>(dst)) return TensorType::UInt8;
  if (py::isinstance<py::array_t<std::int8_t>>(dst)) return TensorType::Int8;
  if (py::isinstance<py::array_t<float>>(dst)) return TensorType::Float32;
  throw py::type_error("dst must have dtype uint8, int8 or float32, got " + repr_of(dst.dtype()));
}

nudeguard::Tensor tensor_of(py::array& dst, PixelFormat order) {
  const TensorType type = tensor_type_of(dst);
  const py::ssize_t nd = dst.ndim();
  if (!((nd == 3 || (nd == 4 && dst.shape(0) == 1)) && dst.shape(nd - 1) == 3)) {
    throw py::value_error("dst must have shape (height, width, 3) or (1, height, width, 3), got " +
                          shape_of(dst));
  }
  if (!(dst.flags() & py::array::c_style)) {
    throw py::value_error("dst must be C-contiguous because it is written in place");
  }
  if (!dst.writeable()) throw py::value_error("dst is read-only; pass a writeable array");
  if (order != PixelFormat::RGB && order != PixelFormat::BGR) {
    throw py::value_error("dst_order must be PixelFormat.RGB or PixelFormat.BGR, got " +
                          py::str(py::cast(order)).cast<std::string>());
  }
  return {dst.mutable_data(), checked_side(dst.shape(nd - 2), "dst width"),
          checked_side(dst.shape(nd - 3), "dst height"), order, type};
}

void preprocess(const py::object& src_obj, PixelFormat src_format, const py::object& dst_obj,
                std::optional<std::pair<int, int>> resize, PixelFormat dst_order,
                const std::array<float, 3>& mul, const std::array<float, 3>& add) {
  const py::array src = as_array(src_obj, "src");
  py::array dst = as_array(dst_obj, "dst");
  const nudeguard::Image image = image_of(src, src_format);
  const nudeguard::Tensor tensor = tensor_of(dst, dst_order);
  nudeguard::Options options;
  if (resize) {
    options.resize_width = resize->first;
    options.resize_height = resize->second;
  }
  for (int c = 0; c < 3; ++c) {
    options.mul[c] = mul[c];
    options.add[c] = add[c];
  }
  py::gil_scoped_release release;
  nudeguard::preprocess(image, tensor, options);
}

// uint8 (H, W) or (H, W, C), C in 1..4, pixels contiguous within a row, rows top to bottom.
nudeguard::BlurImage blur_image_of(const py::object& obj, const char* name, bool write) {
  const py::array a = as_array(obj, name);
  if (!py::isinstance<py::array_t<std::uint8_t>>(a)) {
    throw py::type_error(std::string(name) + " must have dtype uint8, got " + repr_of(a.dtype()));
  }
  if (a.ndim() != 2 && !(a.ndim() == 3 && a.shape(2) >= 1 && a.shape(2) <= 4)) {
    throw py::value_error(std::string(name) + " must have shape (H, W) or (H, W, C) with C in 1..4, got " +
                          shape_of(a));
  }
  const int c = a.ndim() == 3 ? static_cast<int>(a.shape(2)) : 1;
  const py::ssize_t h = a.shape(0), w = a.shape(1);
  if ((w > 1 && a.strides(1) != c) || (a.ndim() == 3 && c > 1 && a.strides(2) != 1)) {
    throw py::value_error(std::string(name) + " pixels must be contiguous within a row, got strides " +
                          repr_of(a.attr("strides")) + "; use np.ascontiguousarray");
  }
  const py::ssize_t stride = h > 1 ? a.strides(0) : w * c;
  if (stride <= 0) {
    throw py::value_error(std::string(name) + " rows must be stored top to bottom, got strides " +
                          repr_of(a.attr("strides")) + "; use np.ascontiguousarray");
  }
  if (write && !a.writeable()) throw py::value_error(std::string(name) + " is read-only");
  return {static_cast<std::uint8_t*>(const_cast<void*>(a.data())), checked_side(w, "width"),
          checked_side(h, "height"), stride, c};
}

// The kernel set an isa= argument pins (the bindings' per-call counterpart of
// NUDEGUARD_FORCE_ISA), nullptr without one; `family` names the caller in the error.
const nudeguard::KernelSet* kernels_named(const std::optional<std::string>& isa, const char* family) {
  if (!isa) return nullptr;
  for (nudeguard::Isa i : {nudeguard::Isa::Scalar, nudeguard::Isa::Sse41, nudeguard::Isa::Avx2,
                           nudeguard::Isa::Neon}) {
    if (*isa != nudeguard::isa_name(i)) continue;
    if (const nudeguard::KernelSet* set = nudeguard::kernels_for(i)) return set;
  }
  throw py::value_error(std::string(family) + " kernel set " + *isa + " is not available here");
}

void blur(const py::object& src, const py::object& dst, double sigma, int threads,
          std::optional<std::string> isa) {
  const nudeguard::BlurImage s = blur_image_of(src, "src", false);
  const nudeguard::BlurImage d = blur_image_of(dst, "dst", true);
  const nudeguard::KernelSet* set = kernels_named(isa, "blur");
  const nudeguard::BlurKernels* kernels = set ? set->blur : nullptr;
  py::gil_scoped_release release;
  nudeguard::blur(s, d, sigma, threads, kernels);
}

void veil(const py::object& src, const py::object& dst, double sigma, int threads) {
  const nudeguard::BlurImage s = blur_image_of(src, "src", false);
  const nudeguard::BlurImage d = blur_image_of(dst, "dst", true);
  py::gil_scoped_release release;
  nudeguard::veil(s, d, sigma, threads);
}


const nudeguard::PdqKernels* pdq_kernels_named(const std::optional<std::string>& isa) {
  const nudeguard::KernelSet* set = kernels_named(isa, "PDQ");
  return set ? set->pdq : nullptr;
}

py::tuple pdq_hash(const py::object& src_obj, PixelFormat format, bool reference_resize,
                   bool dihedral, std::optional<std::string> isa) {
  const py::array src = as_array(src_obj, "src");
  const nudeguard::Image image = image_of(src, format);
  const nudeguard::PdqKernels* kernels = pdq_kernels_named(isa);
  nudeguard::PdqResult r;
  {
    py::gil_scoped_release release;
    r = nudeguard::pdq_hash(image, reference_resize, dihedral, kernels);
  }
  auto as_bytes = [](const nudeguard::PdqHash& h) {
    return py::bytes(reinterpret_cast<const char*>(h.data()), h.size());
  };
  if (!dihedral) return py::make_tuple(as_bytes(r.hash[0]), r.quality);
  py::list hashes;
  for (const nudeguard::PdqHash& h : r.hash) hashes.append(as_bytes(h));
  return py::make_tuple(hashes, r.quality);
}

py::tuple pdq_match(const py::object& hashes_obj, const py::bytes& query, int max_distance,
                    std::optional<std::string> isa) {
  const py::array hashes = as_array(hashes_obj, "hashes");
  if (!py::isinstance<py::array_t<std::uint8_t>>(hashes) || hashes.ndim() != 2 ||
      hashes.shape(1) != nudeguard::kPdqBytes || !(hashes.flags() & py::array::c_style)) {
    throw py::value_error("hashes must be a C-contiguous uint8 array of shape (n, 32), got " +
                          repr_of(hashes.dtype()) + " " + shape_of(hashes));
  }
  const std::string q = query;
  if (q.size() != nudeguard::kPdqBytes) {
    throw py::value_error("query must be 32 bytes, got " + std::to_string(q.size()));
  }
  const nudeguard::PdqKernels* kernels = pdq_kernels_named(isa);
  std::vector<nudeguard::PdqMatch> matches;
  {
    py::gil_scoped_release release;
    matches = nudeguard::pdq_match(static_cast<const std::uint8_t*>(hashes.data()),
                                   static_cast<std::size_t>(hashes.shape(0)),
                                   reinterpret_cast<const std::uint8_t*>(q.data()), max_distance,
                                   kernels);
  }
  py::array_t<std::int64_t> idx(static_cast<py::ssize_t>(matches.size()));
  py::array_t<std::int32_t> dist(static_cast<py::ssize_t>(matches.size()));
  auto pi = idx.mutable_unchecked<1>();
  auto pd = dist.mutable_unchecked<1>();
  for (std::size_t i = 0; i < matches.size(); ++i) {
    pi(i) = static_cast<std::int64_t>(matches[i].index);
    pd(i) = matches[i].distance;
  }
  return py::make_tuple(idx, dist);
}

// (hashes uint8 (n, 32), ids: the IDs' UTF-8 bytes end to end, id_ends int64 (n + 1)):
// entry i's ID is ids[id_ends[i]:id_ends[i + 1]], packed so a list of millions of lines does
// not become millions of Python strings before anything is matched.
py::tuple parse_hash_list(const py::buffer& data) {
  const py::buffer_info info = data.request();
  if (info.ndim > 1 || info.itemsize != 1) throw py::type_error("data must be a 1-D byte buffer");
  const char* text = static_cast<const char*>(info.ptr);
  nudeguard::ParsedHashList list;
  try {
    py::gil_scoped_release release;
    list = nudeguard::parse_hash_list(text, static_cast<std::size_t>(info.size));
  } catch (const nudeguard::HashListSyntaxError& e) {
    throw py::value_error("line " + std::to_string(e.line()) + ": " + e.what());
  }
  const auto n = static_cast<py::ssize_t>(list.ids.size());
  py::array_t<std::uint8_t> hashes({n, static_cast<py::ssize_t>(nudeguard::kPdqBytes)});
  if (n > 0) std::memcpy(hashes.mutable_data(), list.hashes.data(), list.hashes.size());
  py::array_t<std::int64_t> id_ends(n + 1);
  auto ends = id_ends.mutable_unchecked<1>();
  std::string ids;
  ends(0) = 0;
  for (py::ssize_t i = 0; i < n; ++i) {
    const nudeguard::TextSpan& span = list.ids[static_cast<std::size_t>(i)];
    ids.append(text + span.offset, span.length);
    ends(i + 1) = static_cast<std::int64_t>(ids.size());
  }
  return py::make_tuple(hashes, py::bytes(ids), id_ends);
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "Native preprocessing kernels of nudeguard.";
  m.attr("__version__") = nudeguard::version();

  m.def("isa", &nudeguard::isa,
        "Kernel set in use; RuntimeError if NUDEGUARD_FORCE_ISA names an unusable one.");
  m.def(
      "probe_image",
      [](const py::buffer& data) -> std::optional<std::tuple<std::string, std::uint32_t, std::uint32_t>> {
        const py::buffer_info info = data.request();
        if (info.ndim > 1 || info.itemsize != 1) throw py::type_error("data must be a 1-D byte buffer");
        nudeguard::ImageHeader h;
        {
          py::gil_scoped_release release;
          h = nudeguard::probe_image(static_cast<const std::uint8_t*>(info.ptr), static_cast<std::size_t>(info.size));
        }
        if (h.format == nudeguard::ImageFormat::Unknown) return std::nullopt;
        return std::make_tuple(std::string(nudeguard::format_name(h.format)), h.width, h.height);
      },
      py::arg("data"),
      "(format, width, height) from an encoded image's header without decoding, or None if the\n"
      "format is not recognised; width and height are 0 if its header is truncated or malformed.");
  m.def("available_isas", &nudeguard::available_isas,
        "Kernel sets this build can run on this CPU, best first.");

  py::enum_<PixelFormat>(m, "PixelFormat", "Byte order of an 8-bit pixel.")
      .value("RGB", PixelFormat::RGB)
      .value("BGR", PixelFormat::BGR)
      .value("RGBA", PixelFormat::RGBA)
      .value("BGRA", PixelFormat::BGRA)
      .value("GRAY", PixelFormat::GRAY);

  m.def("preprocess", &preprocess, py::arg("src"), py::arg("src_format"), py::arg("dst"),
        py::kw_only(), py::arg("resize") = py::none(), py::arg("dst_order") = PixelFormat::RGB,
        py::arg("mul") = std::array<float, 3>{1.0f, 1.0f, 1.0f},
        py::arg("add") = std::array<float, 3>{0.0f, 0.0f, 0.0f},
        R"doc(Resize src to `resize` (width, height; default: the dst size), centre-crop to
dst's size and write it into dst in `dst_order`, as avg * mul[c] + add[c] converted to
dst's dtype (uint8/int8: rounded and clamped; float32: as is). Shrinking axes use area
averaging, growing ones bilinear interpolation; results are within 1 LSB of float64.)doc");

  m.def("blur", &blur, py::arg("src"), py::arg("dst"), py::arg("sigma"), py::kw_only(),
        py::arg("threads") = 0, py::arg("isa") = py::none(),
        R"doc(Gaussian blur of src into dst (same shape; the same array blurs in place) with
reflect-101 borders; recursive, so the cost does not depend on sigma. `isa` pins one kernel
set (tests compare them with "scalar"); threads 0 is automatic. Releases the GIL.)doc");
  m.def("veil", &veil, py::arg("src"), py::arg("dst"), py::arg("sigma") = 0.0, py::kw_only(),
        py::arg("threads") = 0,
        R"doc(src resized to dst's size and blurred with sigma in dst pixels (<= 0: veil_sigma).
Releases the GIL.)doc");
  m.def("pdq_hash", &pdq_hash, py::arg("src"), py::arg("src_format"), py::kw_only(),
        py::arg("reference_resize") = true, py::arg("dihedral") = false,
        py::arg("isa") = py::none(),
        R"doc(PDQ hash of src: (32 bytes, quality 0..100), or ([8 hashes in the reference's
dihedral order], quality) with dihedral=True. reference_resize: images over 512 px on a side
are first shrunk to fit 512 x 512 (aspect kept, PIL's bicubic thumbnail), as Meta's published
hashes were made; False
hashes the pixels as given (like the pdqhash package). Releases the GIL.)doc");
  m.def("pdq_match", &pdq_match, py::arg("hashes"), py::arg("query"), py::arg("max_distance"),
        py::kw_only(), py::arg("isa") = py::none(),
        R"doc((indices int64, distances int32) of the rows of hashes (uint8 (n, 32)) within
max_distance bits of query (32 bytes), in row order. Releases the GIL.)doc");
  m.def("parse_hash_list", &parse_hash_list, py::arg("data"),
        R"doc((hashes uint8 (n, 32), ids bytes, id_ends int64 (n + 1)) of a PDQ hash list's
text; entry i's ID is ids[id_ends[i]:id_ends[i + 1]] (UTF-8, empty: none). ValueError
"line N: ..." for a malformed line. Releases the GIL while parsing.)doc");
  m.def("veil_sigma", &nudeguard::veil_sigma, py::arg("width"), py::arg("height"),
        "Default veil sigma for a width x height veil: max(2, min(width, height) / 12).");
}
