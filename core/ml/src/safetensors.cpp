// SPDX-License-Identifier: MIT
#include "atelier/ml/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

namespace atelier::ml {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxHeader = 100ull << 20;  // the reference implementation's limit

Error corrupt(std::string what) {
    return fail(Errc::corrupt_data, "safetensors: " + std::move(what));
}

std::size_t dtype_size(StDtype d) {
    return d == StDtype::f32 ? 4 : 2;
}

float bf16_to_float(std::uint16_t v) {
    std::uint32_t bits = static_cast<std::uint32_t>(v) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

float f16_to_float(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {
            exp = 113;
            while ((mant & 0x400) == 0) {
                mant <<= 1;
                --exp;
            }
            bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

}  // namespace

Result<StHeader> parse_safetensors_header(std::span<const std::uint8_t> bytes, std::uint64_t file_size) {
    if (bytes.size() < 8 || file_size < 8) return corrupt("the file is shorter than its 8-byte header length");
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | bytes[static_cast<std::size_t>(i)];
    if (n > kMaxHeader) return corrupt("the header claims " + std::to_string(n) + " bytes (limit 100 MiB)");
    if (n > file_size - 8 || n > bytes.size() - 8)
        return corrupt("the header claims " + std::to_string(n) + " bytes but the file has only " +
                       std::to_string(file_size - 8) + " after the length; the file is truncated");
    auto j =
        nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return corrupt("the header is not a JSON object");
    StHeader h;
    h.data_offset = 8 + n;
    const std::uint64_t data_size = file_size - h.data_offset;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& name = it.key();
        if (name == "__metadata__") {
            if (!it->is_object()) return corrupt("\"__metadata__\" must be an object of strings");
            for (auto m = it->begin(); m != it->end(); ++m) {
                if (!m->is_string()) return corrupt("\"__metadata__\" values must be strings");
                h.metadata[m.key()] = m->get<std::string>();
            }
            continue;
        }
        const auto& t = *it;
        if (!t.is_object() || !t.contains("dtype") || !t["dtype"].is_string() || !t.contains("shape") ||
            !t["shape"].is_array() || !t.contains("data_offsets") || !t["data_offsets"].is_array() ||
            t["data_offsets"].size() != 2)
            return corrupt("tensor '" + name + "' needs \"dtype\", \"shape\" and two \"data_offsets\"");
        StTensorInfo ti;
        const auto dt = t["dtype"].get<std::string>();
        if (dt == "F32")
            ti.dtype = StDtype::f32;
        else if (dt == "F16")
            ti.dtype = StDtype::f16;
        else if (dt == "BF16")
            ti.dtype = StDtype::bf16;
        else
            return fail(Errc::unsupported, "safetensors: tensor '" + name + "' has dtype " + dt +
                                               "; only F32, F16 and BF16 weights are supported");
        std::uint64_t count = 1;
        for (const auto& d : t["shape"]) {
            if (!d.is_number_unsigned())
                return corrupt("tensor '" + name + "' has a negative or non-integer dimension");
            const auto v = d.get<std::uint64_t>();
            if (v != 0 && count > (std::uint64_t{1} << 40) / v)
                return corrupt("tensor '" + name + "' is impossibly large");
            count *= v;
            ti.shape.push_back(static_cast<std::int64_t>(v));
        }
        const auto& off = t["data_offsets"];
        if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
            return corrupt("tensor '" + name + "' has non-integer data offsets");
        ti.begin = off[0].get<std::uint64_t>();
        ti.end = off[1].get<std::uint64_t>();
        if (ti.begin > ti.end) return corrupt("tensor '" + name + "' ends before it begins");
        if (ti.end > data_size)
            return corrupt("tensor '" + name + "' runs past the end of the file (ends at " + std::to_string(ti.end) +
                           ", data section is " + std::to_string(data_size) + " bytes); the file is truncated");
        if (ti.end - ti.begin != count * dtype_size(ti.dtype))
            return corrupt("tensor '" + name + "' has " + std::to_string(ti.end - ti.begin) +
                           " bytes but its shape needs " + std::to_string(count * dtype_size(ti.dtype)));
        ranges.emplace_back(ti.begin, ti.end);
        h.tensors.emplace(name, std::move(ti));
    }
    std::sort(ranges.begin(), ranges.end());
    for (std::size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].first < ranges[i - 1].second)
            return corrupt("two tensors overlap in the data section (at byte " + std::to_string(ranges[i].first) + ")");
    return h;
}

SafetensorsFile::~SafetensorsFile() {
    if (m_map != nullptr) ::munmap(const_cast<std::uint8_t*>(m_map), m_size);
}

Result<std::shared_ptr<SafetensorsFile>> SafetensorsFile::open(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(Errc::not_found, "cannot open safetensors file '" + path.string() + "'");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        return fail(Errc::io_error, "cannot stat '" + path.string() + "'");
    }
    std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
    f->m_path = path;
    f->m_size = static_cast<std::size_t>(st.st_size);
    if (f->m_size < 8) {
        ::close(fd);
        return corrupt("'" + path.string() + "' is " + std::to_string(f->m_size) + " bytes, too short");
    }
    void* p = ::mmap(nullptr, f->m_size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return fail(Errc::io_error, "cannot map '" + path.string() + "'");
    f->m_map = static_cast<const std::uint8_t*>(p);
    auto h = parse_safetensors_header({f->m_map, f->m_size}, f->m_size);
    if (!h) return h.error().with_context(path.string());
    f->m_header = std::move(h).value();
    return f;
}

std::span<const std::uint8_t> SafetensorsFile::raw(const std::string& name) const {
    auto it = m_header.tensors.find(name);
    if (it == m_header.tensors.end()) return {};
    return {m_map + m_header.data_offset + it->second.begin, it->second.end - it->second.begin};
}

Result<TensorF32> SafetensorsFile::to_f32(const std::string& name) const {
    auto it = m_header.tensors.find(name);
    if (it == m_header.tensors.end())
        return fail(Errc::not_found, "'" + m_path.string() + "' has no tensor '" + name + "'");
    const auto& ti = it->second;
    TensorF32 t(ti.shape);
    const auto bytes = raw(name);
    const auto n = static_cast<std::size_t>(t.numel());
    if (ti.dtype == StDtype::f32) {
        if (n) std::memcpy(t.data.data(), bytes.data(), n * 4);
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            std::uint16_t v;
            std::memcpy(&v, bytes.data() + 2 * i, 2);
            t.data[i] = ti.dtype == StDtype::bf16 ? bf16_to_float(v) : f16_to_float(v);
        }
    }
    return t;
}

Result<void> write_safetensors(const fs::path& path, const std::map<std::string, TensorF32>& tensors,
                               const std::map<std::string, std::string>& metadata) {
    nlohmann::json h = nlohmann::json::object();
    if (!metadata.empty()) h["__metadata__"] = metadata;
    std::uint64_t off = 0;
    for (const auto& [name, t] : tensors) {
        if (static_cast<std::size_t>(t.numel()) != t.data.size())
            return fail(Errc::invalid_argument, "tensor '" + name + "' has a shape that does not match its data");
        const std::uint64_t bytes = t.data.size() * 4;
        h[name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {off, off + bytes}}};
        off += bytes;
    }
    std::string hs = h.dump();
    while (hs.size() % 8 != 0)
        hs += ' ';
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return fail(Errc::io_error, "cannot write '" + tmp.string() + "'");
        std::uint64_t n = hs.size();
        unsigned char len[8];
        for (int i = 0; i < 8; ++i)
            len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
        out.write(reinterpret_cast<const char*>(len), 8);
        out.write(hs.data(), static_cast<std::streamsize>(hs.size()));
        for (const auto& [name, t] : tensors)
            out.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size() * 4));
        if (!out) {
            std::error_code ec;
            fs::remove(tmp, ec);
            return fail(Errc::io_error, "writing '" + tmp.string() + "' failed (disk full?)");
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) return fail(Errc::io_error, "cannot rename '" + tmp.string() + "' to '" + path.string() + "'");
    return ok();
}

}  // namespace atelier::ml
