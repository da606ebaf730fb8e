// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "atelier/base/result.h"

using namespace atelier;

namespace {
Result<int> parse_positive(int v) {
    if (v <= 0) return fail(Errc::invalid_argument, "value must be positive; got " + std::to_string(v));
    return v;
}

Result<int> doubled(int v) {
    auto r = parse_positive(v);
    if (!r) return std::move(r).error().with_context("doubling");
    return *r * 2;
}

Result<void> chain(int v) {
    ATELIER_TRY(parse_positive(v));
    return ok();
}
}  // namespace

TEST(Result, HoldsValueOrError) {
    auto good = parse_positive(3);
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 3);
    auto bad = parse_positive(-1);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
    EXPECT_NE(bad.error().message.find("-1"), std::string::npos);
    EXPECT_EQ(bad.value_or(42), 42);
}

TEST(Result, ContextIsPrefixed) {
    auto r = doubled(0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("doubling: ", 0), 0u);
    EXPECT_EQ(*doubled(4), 8);
}

TEST(Result, TryPropagates) {
    EXPECT_TRUE(chain(1).ok());
    auto r = chain(-5);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(Result, MoveOnlyValues) {
    Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
    ASSERT_TRUE(r);
    std::unique_ptr<int> p = std::move(r).value();
    EXPECT_EQ(*p, 7);
}

TEST(Result, ErrcNamesAreStable) {
    EXPECT_EQ(errc_name(Errc::not_found), "not_found");
    EXPECT_EQ(errc_name(Errc::limit_exceeded), "limit_exceeded");
    EXPECT_EQ(errc_name(Errc::verification_failed), "verification_failed");
}
