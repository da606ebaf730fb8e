/* SPDX-License-Identifier: MIT */
/* Test library that is a shared object but not a tagger plugin. */
__attribute__((visibility("default"))) int some_other_library_function(void) {
    return 42;
}
