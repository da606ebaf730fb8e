// SPDX-License-Identifier: MIT
#pragma once
/// \file cose.h
/// COSE_Sign1 (RFC 9052) as C2PA uses it for `c2pa.signature`: tag 18, the
/// algorithm and the X.509 chain (`x5chain`, label 33) in the protected
/// header, a detached (nil) payload — the claim bytes — and the signature in
/// the COSE form (raw r||s for ECDSA).
#include <optional>
#include <vector>

#include "atelier/provenance/cbor.h"
#include "atelier/provenance/crypto.h"

namespace atelier::provenance {

/// A decoded COSE_Sign1 message.
struct CoseSign1 {
    Bytes protected_bytes;         ///< the protected header as serialized (signed)
    Cbor protected_header;         ///< decoded protected header map
    Cbor unprotected_header;       ///< unprotected header map
    std::optional<Bytes> payload;  ///< nullopt when detached
    Bytes signature;
    std::optional<std::int64_t> alg_id;  ///< header label 1, when an integer
    std::vector<Bytes> x5chain;          ///< DER certificates, end-entity first
};

/// Parses a COSE_Sign1 (tagged or untagged). Structural problems are
/// Errc::corrupt_data errors; a missing algorithm leaves `alg_id` empty.
Result<CoseSign1> cose_sign1_parse(ByteView data, const CborLimits& limits = {});

/// The Sig_structure ["Signature1", protected, h'', payload] that is signed.
Bytes cose_sig_structure(ByteView protected_bytes, ByteView payload);

/// Signs `payload` detached with the identity: returns the encoded, tagged
/// COSE_Sign1.
Result<Bytes> cose_sign1_detached(const SigningIdentity& id, ByteView payload);

/// Verifies the signature over `payload` with `key`; false on mismatch,
/// an error for an unsupported algorithm (Errc::unsupported).
Result<bool> cose_sign1_verify(const CoseSign1& msg, const Key& key, ByteView payload);

}  // namespace atelier::provenance
