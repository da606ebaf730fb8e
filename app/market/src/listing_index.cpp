// SPDX-License-Identifier: MIT
// The in-memory browse/search index (see listing_index.h).
#include "listing_index.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string_view>
#include <unordered_map>

#include "context.h"

namespace atelier::market_server {

namespace {

std::atomic<std::int64_t> g_local_writes{0};

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void append_json_string(std::string& out, const std::string& s) {
    out += json(s).dump();
}

}  // namespace

void ListingIndex::note_local_write() {
    g_local_writes.fetch_add(1);
}

std::vector<std::string> ListingIndex::words_of(std::string_view text) {
    std::vector<std::string> out;
    std::string word;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c >= 0x80) {
            word.push_back(static_cast<char>(std::tolower(c)));
        } else if (!word.empty()) {
            out.push_back(std::move(word));
            word.clear();
        }
    }
    if (!word.empty()) out.push_back(std::move(word));
    return out;
}

void ListingIndex::assign_tag_ids(Entry& e) {
    e.tag_ids.clear();
    for (const auto& t : e.tags) {
        auto [it, fresh] = m_tag_ids.try_emplace(t, static_cast<std::uint32_t>(m_tag_names.size()));
        if (fresh) m_tag_names.push_back(t);
        e.tag_ids.push_back(it->second);
    }
}

Result<std::shared_ptr<ListingIndex::Entry>> ListingIndex::entry_from_row(const Row& row) {
    auto e = std::make_shared<Entry>();
    e->id = row.str(0);
    e->seq = row.i64(1);
    e->creator_id = row.str(2);
    e->price = row.i64(7);
    e->currency = row.str(8);
    auto tags = json::parse(row.str(6), nullptr, false);
    std::string text = row.str(4) + "\n" + row.str(5);
    if (tags.is_array())
        for (const auto& t : tags)
            if (t.is_string()) {
                e->tags.push_back(t.get<std::string>());
                text += " " + e->tags.back();
            }
    e->words = words_of(text);
    std::sort(e->words.begin(), e->words.end());
    e->words.erase(std::unique(e->words.begin(), e->words.end()), e->words.end());
    e->json = listing_json(row).dump();
    e->hash = std::hash<std::string_view>{}(e->json);
    return e;
}

Result<void> ListingIndex::refresh(Db& db) {
    auto conn = db.acquire();
    if (!conn) return std::move(conn).error();
    const std::string select = std::string("SELECT ") + kListingColumns + " FROM listings";
    if (!m_loaded) {
        // The counter first: every change up to it is in the full read that
        // follows; later ones are applied again by the next refresh (idempotent).
        auto c = (*conn)->query("SELECT value FROM counters WHERE name = 'changes'");
        if (!c) return std::move(c).error();
        std::int64_t cursor = c->empty() ? 0 : (*c)[0].i64(0);
        auto rows = (*conn)->query(select + " WHERE status = 'live'");
        if (!rows) return std::move(rows).error();
        std::vector<std::shared_ptr<Entry>> entries;
        entries.reserve(rows->size());
        for (const auto& r : *rows) {
            auto e = entry_from_row(r);
            if (!e) return std::move(e).error();
            entries.push_back(std::move(*e));
        }
        std::unique_lock lock(m_data_mu);
        m_by_seq.clear();
        m_seq_of.clear();
        m_tag_names.clear();
        m_tag_ids.clear();
        for (auto& e : entries) {
            assign_tag_ids(*e);
            m_seq_of[e->id] = e->seq;
            m_by_seq[e->seq] = std::move(e);
        }
        m_cursor = cursor;
        m_loaded = true;
        return ok();
    }
    for (;;) {
        auto ch = (*conn)->query(
            "SELECT seq, ref FROM changes WHERE kind = 'listing' AND seq > $1 ORDER BY seq LIMIT 1000", {m_cursor});
        if (!ch) return std::move(ch).error();
        if (ch->empty()) return ok();
        std::set<std::string> ids;
        for (const auto& r : *ch)
            ids.insert(r.str(1));
        // id → entry (nullptr: not live any more, remove it).
        std::vector<std::pair<std::string, std::shared_ptr<Entry>>> updates;
        for (const auto& id : ids) {
            auto rows = (*conn)->query(select + " WHERE id = $1", {id});
            if (!rows) return std::move(rows).error();
            std::shared_ptr<Entry> e;
            if (!rows->empty() && (*rows)[0].str(12) == "live") {
                auto made = entry_from_row((*rows)[0]);
                if (!made) return std::move(made).error();
                e = std::move(*made);
            }
            updates.emplace_back(id, std::move(e));
        }
        {
            std::unique_lock lock(m_data_mu);
            for (auto& [id, e] : updates) {
                if (auto it = m_seq_of.find(id); it != m_seq_of.end()) {
                    m_by_seq.erase(it->second);
                    m_seq_of.erase(it);
                }
                if (e) {
                    assign_tag_ids(*e);
                    m_seq_of[id] = e->seq;
                    m_by_seq[e->seq] = std::move(e);
                }
            }
        }
        m_cursor = ch->back().i64(0);
        if (ch->size() < 1000) return ok();
    }
}

Result<void> ListingIndex::sync(Db& db) {
    const std::int64_t writes = g_local_writes.load();
    const std::int64_t now = steady_ns();
    if (m_ready.load() && m_applied_writes.load() >= writes) {
        if (now - m_polled_ns.load() < m_poll_ns) return ok();
        // Poll for other instances' writes: one request does it, the rest answer
        // from the current state meanwhile.
        std::unique_lock lock(m_refresh_mu, std::try_to_lock);
        if (!lock.owns_lock() || now - m_polled_ns.load() < m_poll_ns) return ok();
        auto r = refresh(db);
        m_polled_ns = steady_ns();
        return r;
    }
    // First load, or this process wrote a listing since the last refresh: the
    // caller waits for the refresh (its own write must show).
    std::lock_guard lock(m_refresh_mu);
    if (m_ready.load() && m_applied_writes.load() >= writes) return ok();
    ATELIER_TRY(refresh(db));
    m_polled_ns = steady_ns();
    m_applied_writes = writes;
    m_ready = true;
    return ok();
}

std::size_t ListingIndex::size() const {
    std::shared_lock lock(m_data_mu);
    return m_by_seq.size();
}

bool ListingIndex::matches(const Entry& e, const ListingQuery& q) const {
    if (q.min_price >= 0 && e.price < q.min_price) return false;
    if (q.max_price >= 0 && e.price > q.max_price) return false;
    if (!q.currency.empty() && e.currency != q.currency) return false;
    if (!q.creator_id.empty() && e.creator_id != q.creator_id) return false;
    if (!q.tag.empty() && std::find(e.tags.begin(), e.tags.end(), q.tag) == e.tags.end()) return false;
    for (const auto& w : q.words) {
        auto it = std::lower_bound(e.words.begin(), e.words.end(), w);
        if (it == e.words.end() || it->compare(0, w.size(), w) != 0) return false;
    }
    return true;
}

std::string ListingIndex::query(const ListingQuery& q, std::string& etag) const {
    thread_local std::vector<std::int64_t> tag_counts;
    std::map<std::string_view, std::int64_t> currency_counts;
    std::vector<const Entry*> page;
    page.reserve(static_cast<std::size_t>(q.limit) + 1);
    std::int64_t total = 0;
    std::string out;
    std::shared_lock lock(m_data_mu);
    tag_counts.assign(m_tag_names.size(), 0);
    for (const auto& [seq, e] : m_by_seq) {
        if (!matches(*e, q)) continue;
        ++total;
        ++currency_counts[e->currency];
        for (auto t : e->tag_ids)
            ++tag_counts[t];
        if ((q.cursor < 0 || seq < q.cursor) && static_cast<std::int64_t>(page.size()) <= q.limit)
            page.push_back(e.get());
    }
    // Tags: most frequent first, then alphabetical; at most 25.
    std::vector<std::pair<std::string_view, std::int64_t>> tags;
    for (std::size_t i = 0; i < tag_counts.size(); ++i)
        if (tag_counts[i] > 0) tags.emplace_back(m_tag_names[i], tag_counts[i]);
    std::sort(tags.begin(), tags.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (tags.size() > 25) tags.resize(25);
    const std::size_t n = std::min<std::size_t>(page.size(), static_cast<std::size_t>(q.limit));
    std::size_t bytes = 128;
    for (std::size_t i = 0; i < n; ++i)
        bytes += page[i]->json.size() + 1;
    out.reserve(bytes + tags.size() * 48);
    out += "{\"facets\":{\"currency\":[";
    bool first = true;
    for (const auto& [c, count] : currency_counts) {
        if (!first) out += ',';
        first = false;
        out += "{\"count\":" + std::to_string(count) + ",\"currency\":";
        append_json_string(out, std::string(c));
        out += '}';
    }
    out += "],\"tags\":[";
    first = true;
    for (const auto& [t, count] : tags) {
        if (!first) out += ',';
        first = false;
        out += "{\"count\":" + std::to_string(count) + ",\"tag\":";
        append_json_string(out, std::string(t));
        out += '}';
    }
    out += "]},\"items\":[";
    // The validator: a hash of everything but the items, mixed with each
    // item's hash (computed once at indexing), plus the length.
    std::uint64_t h = std::hash<std::string_view>{}(out);
    for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ',';
        out += page[i]->json;
        h = (h ^ page[i]->hash) * 0x100000001b3ull + (h >> 29);
    }
    const std::size_t tail_at = out.size();
    out += "],\"next_cursor\":";
    out += page.size() > n ? std::to_string(page[n - 1]->seq) : std::string("null");
    out += ",\"total\":" + std::to_string(total) + "}";
    h ^= std::hash<std::string_view>{}(std::string_view(out).substr(tail_at)) * 0x9e3779b97f4a7c15ull;
    char buf[48];
    std::snprintf(buf, sizeof buf, "\"%016llx-%zx\"", static_cast<unsigned long long>(h), out.size());
    etag = buf;
    return out;
}

}  // namespace atelier::market_server
