# SPDX-License-Identifier: MIT
# Writes the bytes of IN as a C++ array into OUT (used for openapi.json).
file(READ ${IN} _hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
file(WRITE ${OUT} "// generated from openapi.json\n#include <string_view>\nnamespace atelier::market_server {\nstatic const unsigned char kDoc[] = {${_bytes} 0};\nstd::string_view openapi_document() { return {reinterpret_cast<const char*>(kDoc), sizeof(kDoc) - 1}; }\n}\n")
