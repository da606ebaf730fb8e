// SPDX-License-Identifier: MIT
// Accounts: register, log in, log out, who am I. Passwords are Argon2id
// (libsodium, OWASP parameters); session tokens are 256-bit random values of
// which only the SHA-256 is stored, with an expiry, revoked on logout.
#include <algorithm>

#include "context.h"

namespace atelier::market_server {

namespace {
Response too_many(int retry_after, const std::string& what) {
    auto r = Response::error(429, "rate_limited",
                             "too many " + what + " attempts; retry in " + std::to_string(retry_after) + " s");
    r.set_header("Retry-After", std::to_string(retry_after));
    return r;
}

std::string normalise_email(std::string e) {
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
    return e;
}

bool valid_email(const std::string& e) {
    auto at = e.find('@');
    return e.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < e.size() &&
           e.find_first_of(" \t\r\n/\\\"<>") == std::string::npos;
}

json user_json(const User& u) {
    return {{"id", u.id}, {"email", u.email}, {"role", u.role}, {"display_name", u.display_name}};
}
}  // namespace

void add_account_routes(Router& r, Context& ctx) {
    r.add("POST", "/v1/accounts/register", [&ctx](Request& req) {
        int retry = 0;
        if (!ctx.auth_ip.allow("ip:" + req.remote_ip, retry)) return too_many(retry, "registration");
        auto body = parse_body(req);
        if (!body) return err(body.error());
        auto& b = *body;
        if (!b.contains("email") || !b["email"].is_string() || !b.contains("password") || !b["password"].is_string())
            return Response::error(400, "invalid_argument",
                                   "send {\"email\", \"password\", \"role\"?, \"display_name\"?}");
        std::string email = normalise_email(b["email"]);
        std::string password = b["password"];
        std::string role = b.value("role", std::string("buyer"));
        std::string name = b.value("display_name", email.substr(0, email.find('@')));
        if (!valid_email(email)) return Response::error(400, "invalid_argument", "the e-mail address is not valid");
        if (password.size() < 8 || password.size() > 1024)
            return Response::error(400, "invalid_argument", "the password must have 8 to 1024 characters");
        if (role != "buyer" && role != "creator")
            return Response::error(400, "invalid_argument",
                                   "role must be buyer or creator (admins are created "
                                   "with atelier-market create-admin)");
        if (!clean_text(name, 100))
            return Response::error(400, "invalid_argument", "display_name: 1-100 characters, no control characters");
        auto hash = hash_password(password);
        if (!hash) return err(hash.error());
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        User u{random_hex_id(), email, role, name};
        Tx tx(**conn);
        if (auto t = tx.begin(true); !t) return err(t.error());
        auto ins = (*conn)->exec(
            "INSERT INTO users (id, email, password_hash, role, display_name, created) VALUES ($1, $2, $3, $4, $5, $6)",
            {u.id, email, *hash, role, name, now_s()});
        if (!ins) {
            if (ins.error().code == Errc::conflict)
                return Response::error(409, "conflict", "an account with this e-mail address exists; log in instead");
            return err(ins.error());
        }
        if (auto c = record_change(**conn, "account.created", u.id, u.id); !c) return err(c.error());
        if (auto c = tx.commit(); !c) return err(c.error());
        req.user_id = u.id;
        return Response::json(201, {{"user", user_json(u)}});
    });

    r.add("POST", "/v1/accounts/login", [&ctx](Request& req) {
        int retry = 0;
        if (!ctx.auth_ip.allow("ip:" + req.remote_ip, retry)) return too_many(retry, "login");
        auto body = parse_body(req);
        if (!body) return err(body.error());
        auto& b = *body;
        if (!b.contains("email") || !b["email"].is_string() || !b.contains("password") || !b["password"].is_string())
            return Response::error(400, "invalid_argument", "send {\"email\", \"password\"}");
        std::string email = normalise_email(b["email"]);
        if (!ctx.auth_account.allow("acct:" + email, retry)) return too_many(retry, "login");
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto rows =
            (*conn)->query("SELECT id, email, role, display_name, password_hash FROM users WHERE email = $1", {email});
        if (!rows) return err(rows.error());
        // Verify against a dummy hash when the account is unknown, so timing does not reveal which e-mails exist.
        static const std::string dummy = hash_password("dummy-password-for-timing").value_or("");
        bool found = !rows->empty();
        bool good = verify_password(found ? (*rows)[0].str(4) : dummy, b["password"].get<std::string>());
        if (!found || !good) return Response::error(401, "unauthenticated", "wrong e-mail address or password");
        User u{(*rows)[0].str(0), (*rows)[0].str(1), (*rows)[0].str(2), (*rows)[0].str(3)};
        auto token = random_token(32);
        std::int64_t expires = now_s() + ctx.opt.session_ttl_s;
        auto ins = (*conn)->exec("INSERT INTO sessions (token_hash, user_id, created, expires) VALUES ($1, $2, $3, $4)",
                                 {sha256_hex(token), u.id, now_s(), expires});
        if (!ins) return err(ins.error());
        req.user_id = u.id;
        return Response::json(200, {{"token", token}, {"expires", expires}, {"user", user_json(u)}});
    });

    r.add("POST", "/v1/accounts/logout", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        auto token = req.header("authorization").substr(7);
        auto up = (*conn)->exec("UPDATE sessions SET revoked = $2 WHERE token_hash = $1", {sha256_hex(token), now_s()});
        if (!up) return err(up.error());
        return Response::json(200, {{"logged_out", true}});
    });

    r.add("GET", "/v1/accounts/me", [&ctx](Request& req) {
        auto conn = ctx.db->acquire();
        if (!conn) return err(conn.error());
        auto u = authenticate(ctx, **conn, req);
        if (!u) return unauthorized(u.error());
        return Response::json(200, {{"user", user_json(*u)}});
    });
}

}  // namespace atelier::market_server
