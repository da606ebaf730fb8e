// SPDX-License-Identifier: MIT
#include "test_util.h"

#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <fstream>
#include <iterator>

#include "atelier/image/image.h"
#include "atelier/imageio/imageio.h"

namespace atelier::test {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
    static std::atomic<int> counter{0};
    const fs::path p = fs::path(ATELIER_BINARY_DIR) / "test-tmp" / "catalog" /
                       (name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

namespace {
void put32(std::string& s, std::uint32_t v) {
    s.push_back(static_cast<char>(v >> 24));
    s.push_back(static_cast<char>(v >> 16));
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v));
}
}  // namespace

bool write_png_with_chunks(const fs::path& path, std::uint32_t seed,
                           const std::vector<std::pair<std::string, std::string>>& chunks, int size) {
    auto img = Image::create(size, size, 3, PixelType::u8);
    if (!img) return false;
    // Every seed gives different bytes: the seed is written into the pixels.
    std::uint32_t x = seed * 2654435761u + 12345u;
    for (std::size_t i = 0; i < img->byte_size(); ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        img->data()[i] = static_cast<std::uint8_t>(x);
    }
    for (int b = 0; b < 4; ++b)
        img->data()[b] = static_cast<std::uint8_t>(seed >> (8 * b));
    if (!imageio::save(*img, path).ok()) return false;
    if (chunks.empty()) return true;
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    // Right after IHDR (8-byte signature + 25-byte IHDR chunk), where
    // generators put their text chunks and where readers look for them.
    if (bytes.size() < 33 || bytes.compare(12, 4, "IHDR") != 0) return false;
    std::string extra;
    for (const auto& [type, body] : chunks) {
        put32(extra, static_cast<std::uint32_t>(body.size()));
        std::string tb = type + body;
        extra += tb;
        put32(extra, static_cast<std::uint32_t>(
                         crc32(0, reinterpret_cast<const Bytef*>(tb.data()), static_cast<uInt>(tb.size()))));
    }
    bytes.insert(33, extra);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
}

std::string itxt(const std::string& keyword, const std::string& text) {
    std::string b = keyword;
    b.push_back('\0');
    b.push_back('\0');  // not compressed
    b.push_back('\0');  // method
    b.push_back('\0');  // language
    b.push_back('\0');  // translated keyword
    return b + text;
}

std::string text_chunk(const std::string& keyword, const std::string& text) {
    std::string b = keyword;
    b.push_back('\0');
    return b + text;
}

std::string xmp_packet(const std::string& title, const std::string& description,
                       const std::vector<std::string>& keywords) {
    std::string kw;
    for (const auto& k : keywords)
        kw += "<rdf:li>" + k + "</rdf:li>";
    return "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
           "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
           "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
           "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">" +
           title +
           "</rdf:li></rdf:Alt></dc:title>"
           "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">" +
           description +
           "</rdf:li></rdf:Alt></dc:description>"
           "<dc:subject><rdf:Bag>" +
           kw +
           "</rdf:Bag></dc:subject>"
           "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";
}

void write_many_pngs(const fs::path& dir, int n, std::uint32_t first_seed) {
    fs::create_directories(dir);
    for (int i = 0; i < n; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "img-%05d.png", i);
        write_png_with_chunks(dir / name, first_seed + static_cast<std::uint32_t>(i), {}, 4);
    }
}

fs::path atelier_binary() {
    return fs::path(ATELIER_BINARY_DIR) / "app" / "cli" / "atelier";
}

}  // namespace atelier::test
