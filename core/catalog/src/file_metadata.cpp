// SPDX-License-Identifier: MIT
// XMP, IPTC and EXIF UserComment through Exiv2 (0.27 still uses auto_ptr).
#include <algorithm>
#include <cstring>
#include <fstream>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <exiv2/exiv2.hpp>
#pragma GCC diagnostic pop

#include <spdlog/spdlog.h>

#include "atelier/catalog/metadata.h"

namespace atelier::catalog {

namespace {

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.pop_back();
    std::size_t b = 0;
    while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b])))
        ++b;
    return s.substr(b);
}

/// "lang="x-default" Title" → "Title" (Exiv2's LangAltValue text form).
std::string strip_lang(std::string s) {
    if (s.rfind("lang=", 0) == 0) {
        const auto sp = s.find(' ');
        s = sp == std::string::npos ? std::string() : s.substr(sp + 1);
    }
    return trim(s);
}

void add_keyword(FileMetadata& m, std::string kw) {
    kw = trim(std::move(kw));
    if (!kw.empty() && std::find(m.keywords.begin(), m.keywords.end(), kw) == m.keywords.end())
        m.keywords.push_back(std::move(kw));
}

/// Whether a PNG holds anything only Exiv2 reads (EXIF, XMP, IPTC/EXIF raw
/// profiles); the text chunks themselves come through OIIO. Walking the chunk
/// headers costs a few small reads, opening the file in Exiv2 much more.
bool png_needs_exiv2(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    char sig[8];
    if (!in.read(sig, 8) || std::memcmp(sig, "\x89PNG\r\n\x1a\n", 8) != 0) return true;  // let Exiv2 decide
    for (int guard = 0; guard < 10000; ++guard) {
        unsigned char head[8];
        if (!in.read(reinterpret_cast<char*>(head), 8)) return false;
        const std::uint32_t len =
            (std::uint32_t{head[0]} << 24) | (std::uint32_t{head[1]} << 16) | (std::uint32_t{head[2]} << 8) | head[3];
        const std::string type(reinterpret_cast<char*>(head + 4), 4);
        if (type == "IEND") return false;
        if (type == "eXIf") return true;
        if (type == "iTXt" || type == "zTXt" || type == "tEXt") {
            char key[80] = {0};
            const std::size_t n = std::min<std::size_t>(len, sizeof key - 1);
            if (!in.read(key, static_cast<std::streamsize>(n))) return false;
            const std::string k(key);
            if (k == "XML:com.adobe.xmp" || k.rfind("Raw profile type", 0) == 0) return true;
            in.seekg(static_cast<std::streamoff>(len - n) + 4, std::ios::cur);
        } else {
            in.seekg(static_cast<std::streamoff>(len) + 4, std::ios::cur);
        }
        if (!in) return false;
    }
    return true;
}

class Exiv2Quiet {
public:
    Exiv2Quiet() { Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute); }
};

}  // namespace

FileMetadata read_file_metadata(const std::filesystem::path& file, const std::map<std::string, std::string>& attributes,
                                std::size_t max_bytes) {
    static const Exiv2Quiet quiet;
    FileMetadata m = parse_text_attributes(attributes, max_bytes);
    if (!png_needs_exiv2(file)) return m;
    try {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        Exiv2::Image::AutoPtr image = Exiv2::ImageFactory::open(file.string());
#pragma GCC diagnostic pop
        if (image.get() == nullptr) return m;
        image->readMetadata();

        // EXIF UserComment: Automatic1111 writes its `parameters` text there in JPEG/WebP.
        const Exiv2::ExifData& exif = image->exifData();
        auto uc = exif.findKey(Exiv2::ExifKey("Exif.Photo.UserComment"));
        if (uc != exif.end() && !m.generation) {
            const auto* cv = dynamic_cast<const Exiv2::CommentValue*>(&uc->value());
            std::string text = cv != nullptr ? cv->comment() : uc->toString();
            if (text.size() > max_bytes) {
                m.warnings.push_back("ignored the EXIF UserComment: over the metadata size limit");
            } else if (!valid_utf8(text)) {
                m.warnings.push_back("ignored the EXIF UserComment: it is not valid text");
            } else if (auto g = parse_a1111_parameters(text)) {
                m.generation = std::move(g);
            }
        }

        // XMP: a truncated or malformed packet makes Exiv2 leave xmpData empty
        // and keep the raw packet; report it.
        const Exiv2::XmpData& xmp = image->xmpData();
        if (xmp.empty() && !image->xmpPacket().empty())
            m.warnings.push_back("ignored the XMP packet: it is malformed or truncated");
        for (const auto& d : xmp) {
            const std::string key = d.key();
            if (key == "Xmp.dc.subject") {
                for (long i = 0; i < d.count(); ++i)
                    add_keyword(m, d.toString(i));
            } else if (key == "Xmp.dc.title" && m.title.empty()) {
                m.title = strip_lang(d.toString());
            } else if (key == "Xmp.dc.description" && m.description.empty()) {
                m.description = strip_lang(d.toString());
            } else if ((key == "Xmp.xmpRights.UsageTerms" || key == "Xmp.dc.rights") && m.licence.empty()) {
                m.licence = strip_lang(d.toString());
            }
        }
        const Exiv2::IptcData& iptc = image->iptcData();
        for (const auto& d : iptc) {
            const std::string key = d.key();
            if (key == "Iptc.Application2.Keywords")
                add_keyword(m, d.toString());
            else if (key == "Iptc.Application2.ObjectName" && m.title.empty())
                m.title = trim(d.toString());
            else if (key == "Iptc.Application2.Caption" && m.description.empty())
                m.description = trim(d.toString());
        }
    } catch (const std::exception& e) {
        m.warnings.push_back(std::string("ignored the embedded EXIF/XMP/IPTC metadata: ") + e.what());
    }
    for (auto* s : {&m.title, &m.description, &m.licence})
        if (!valid_utf8(*s)) s->clear();
    m.keywords.erase(
        std::remove_if(m.keywords.begin(), m.keywords.end(), [](const std::string& k) { return !valid_utf8(k); }),
        m.keywords.end());
    return m;
}

}  // namespace atelier::catalog
