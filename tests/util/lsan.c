/*
 * tests/util/lsan.c - what LeakSanitizer may ignore in the test programs (the ASan build).
 * Linked into every test program directly (not through a static library, whose member
 * would be left out when nothing references it).
 */
#ifdef SL_SANITIZE
/* libzookeeper-mt 3.8.0 does not free the completion entries of a request that is lost with
 * its connection or its session (zoo_amulti's per-operation results, 168 bytes each; the
 * completion of an asynchronous create or sync): the restart, unreachable, expiry and
 * lost-answer tests make that happen on purpose. The leaks are inside the library, whose
 * Debian build has no symbols for its internal frames, so they are suppressed by the
 * library's name; a leak of sluice's own memory has no frame of it and still fails. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:zoo_amulti\nleak:libzookeeper_mt.so\n";
}
#endif
