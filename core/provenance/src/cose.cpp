// SPDX-License-Identifier: MIT
#include "atelier/provenance/cose.h"

namespace atelier::provenance {

namespace {
constexpr std::int64_t kHeaderAlg = 1;
constexpr std::int64_t kHeaderX5Chain = 33;
constexpr std::uint64_t kTagSign1 = 18;

void collect_chain(const Cbor* v, std::vector<Bytes>& out) {
    if (!v) return;
    if (v->is(Cbor::Type::bytes)) out.push_back(v->as_bytes());
    if (v->is(Cbor::Type::array))
        for (const auto& c : v->items())
            if (c.is(Cbor::Type::bytes)) out.push_back(c.as_bytes());
}
}  // namespace

Result<CoseSign1> cose_sign1_parse(ByteView data, const CborLimits& limits) {
    auto v = cbor_decode(data, limits);
    if (!v) return v.error().with_context("COSE_Sign1");
    const Cbor* msg = &*v;
    if (msg->is(Cbor::Type::tag)) {
        if (msg->tag() != kTagSign1)
            return fail(Errc::corrupt_data, "COSE: expected tag 18 (COSE_Sign1), found " + std::to_string(msg->tag()));
        msg = &msg->tagged_item();
    }
    if (!msg->is(Cbor::Type::array) || msg->items().size() != 4)
        return fail(Errc::corrupt_data, "COSE: COSE_Sign1 must be an array of 4 items");
    const auto& it = msg->items();
    if (!it[0].is(Cbor::Type::bytes)) return fail(Errc::corrupt_data, "COSE: protected header is not a byte string");
    if (!it[1].is(Cbor::Type::map)) return fail(Errc::corrupt_data, "COSE: unprotected header is not a map");
    if (!it[2].is(Cbor::Type::bytes) && !it[2].is(Cbor::Type::null))
        return fail(Errc::corrupt_data, "COSE: payload is neither bytes nor nil");
    if (!it[3].is(Cbor::Type::bytes)) return fail(Errc::corrupt_data, "COSE: signature is not a byte string");
    CoseSign1 out;
    out.protected_bytes = it[0].as_bytes();
    if (out.protected_bytes.empty()) {
        out.protected_header = Cbor::map();
    } else {
        auto ph = cbor_decode(out.protected_bytes, limits);
        if (!ph) return ph.error().with_context("COSE protected header");
        if (!ph->is(Cbor::Type::map)) return fail(Errc::corrupt_data, "COSE: protected header is not a map");
        out.protected_header = std::move(*ph);
    }
    out.unprotected_header = it[1];
    if (it[2].is(Cbor::Type::bytes)) out.payload = it[2].as_bytes();
    out.signature = it[3].as_bytes();
    if (const Cbor* a = out.protected_header.find(kHeaderAlg); a && a->is_int()) out.alg_id = a->as_int();
    collect_chain(out.protected_header.find(kHeaderX5Chain), out.x5chain);
    if (out.x5chain.empty()) collect_chain(out.unprotected_header.find(kHeaderX5Chain), out.x5chain);
    if (out.x5chain.empty()) collect_chain(out.unprotected_header.find("x5chain"), out.x5chain);
    return out;
}

Bytes cose_sig_structure(ByteView protected_bytes, ByteView payload) {
    return cbor_encode(Cbor::array(
        {Cbor::text("Signature1"), Cbor::bytes(protected_bytes), Cbor::bytes(Bytes{}), Cbor::bytes(payload)}));
}

Result<Bytes> cose_sign1_detached(const SigningIdentity& id, ByteView payload) {
    if (id.chain.empty()) return fail(Errc::invalid_argument, "COSE: the signing identity has no certificate");
    Cbor chain;
    if (id.chain.size() == 1) {
        chain = Cbor::bytes(id.chain.front().der());
    } else {
        chain = Cbor::array();
        for (const auto& c : id.chain)
            chain.push(Cbor::bytes(c.der()));
    }
    Cbor ph = Cbor::map();
    ph.set(kHeaderAlg, Cbor::integer(cose_alg_id(id.alg)));
    ph.set(kHeaderX5Chain, std::move(chain));
    const Bytes protected_bytes = cbor_encode(ph);
    auto sig = sign_bytes(id.key, id.alg, cose_sig_structure(protected_bytes, payload));
    if (!sig) return sig.error();
    return cbor_encode(Cbor::tagged(
        kTagSign1, Cbor::array({Cbor::bytes(protected_bytes), Cbor::map(), Cbor::null(), Cbor::bytes(*sig)})));
}

Result<bool> cose_sign1_verify(const CoseSign1& msg, const Key& key, ByteView payload) {
    if (!msg.alg_id) return fail(Errc::unsupported, "COSE: the signature names no algorithm");
    auto alg = alg_from_cose(*msg.alg_id);
    if (!alg) return fail(Errc::unsupported, "COSE: unsupported signature algorithm " + std::to_string(*msg.alg_id));
    return verify_bytes(key, *alg, cose_sig_structure(msg.protected_bytes, payload), msg.signature);
}

}  // namespace atelier::provenance
