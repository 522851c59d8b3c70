/*
 * coord/cluster.c - assignment, publication, stabilization and epoch acks (see cluster.h).
 *
 * WRITES OF UNKNOWN OUTCOME (the reasoning of coord/store_zk.c, applied to these nodes).
 * SL_EZK_RETRY from a write means the request may have been applied with only its answer
 * lost, and one still on its way may be applied after this process looked. So:
 *   - publish sends "check the latch node, set the assignment at version V" (or "create
 *     it"): conditional on V, so of all the attempts at most one can ever land, and only as
 *     version V + 1 (0 for a create). After a lost answer - or a BadVersion / NodeExists /
 *     NoNode, which may be the answer to its own earlier attempt landing - it syncs and reads
 *     the node back: still at V (absent for a create) means nothing landed yet and it sends
 *     again (a late landing then makes that one meet BadVersion, and it reads back again);
 *     at V + 1 with exactly the bytes it sent means its own write landed (the text names
 *     the leader's latch node, unique per leader and session, so no other leader writes the
 *     same bytes); anything else is another leader's write: SL_ESTATE, naming it;
 *   - an ack is a create of a node whose name is the member's: a NodeExists after a lost
 *     answer is compared with what was sent - the same bytes are this member's own earlier
 *     attempt, success.
 * Neither retries for longer than SL_CLUSTER_OP_TIMEOUT_MS; then "outcome unknown", and the
 * caller reads (sl_cluster_read) or acks again, which settles it the same way.
 */
#include "coord/cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/keygroup.h"

#define SL_CL_ROUNDS_MAX 16 /* a safety net: writes raced by their own earlier attempts */
#define SL_CL_POLL_MS 100   /* how often a wait looks at its stop flag (coord/latch.c's) */
#define SL_CL_MEMBER_DATA 1024

static double sl_cl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int sl_cl_left_ms(double deadline)
{
    double left = deadline - sl_cl_now();
    return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

static bool sl_cl_stopped(const _Atomic int *stop)
{
    return stop && *stop;
}

/* A lost connection within the deadline: wait for the session (0: try again). */
static int sl_cl_reconnect(struct sl_zk *zk, int rc, double deadline, struct sl_error *err)
{
    if (rc != SL_EZK_RETRY || sl_cl_now() >= deadline)
        return rc;
    int w = sl_zk_wait_connected(zk, sl_cl_left_ms(deadline), err);
    return w == 0 ? 0 : w;
}

/* A word of the assignment text: 1..cap-1 bytes, no blank, no control byte. */
static bool sl_cl_word_fits(const char *s, size_t cap)
{
    size_t n = strlen(s);
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] == 0x7f)
            return false;
    return true;
}

/* A member's name or host: at most SL_MEMBER_TEXT - 1 bytes. */
static bool sl_cl_word_ok(const char *s)
{
    return sl_cl_word_fits(s, SL_MEMBER_TEXT);
}

void sl_assignment_free(struct sl_assignment *a)
{
    if (!a)
        return;
    free(a->members);
    a->members = NULL;
    a->n = 0;
}

void sl_cluster_member_of(const struct sl_member *m, int64_t ctime_ms,
                          struct sl_cluster_member *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", m->name);
    size_t k = 0;
    for (const char *h = m->host; *h && k < sizeof(out->host) - 1; h++)
        out->host[k++] = ((unsigned char)*h <= ' ' || *h == 0x7f) ? '_' : *h;
    if (k == 0)
        out->host[k++] = '-';
    out->host[k] = '\0';
    out->workers = m->workers;
    out->cores = m->cores;
    out->joined_ms = ctime_ms;
    out->session = m->session;
    out->standby = strcmp(m->role, "standby") == 0;
}

/* ---- the assignment ---------------------------------------------------------------------- */

/* New members in join order, then by name (unique: a total order). qsort has no context
 * argument in C11: an insertion sort of the indexes (a few hundred at most, once per
 * generation) keeps the function reentrant. */
static void sl_cl_sort_new(const struct sl_cluster_member *m, size_t *idx, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], j = i;
        while (j > 0) {
            const struct sl_cluster_member *a = &m[idx[j - 1]], *b = &m[v];
            int c = a->joined_ms != b->joined_ms ? (a->joined_ms < b->joined_ms ? -1 : 1)
                                                 : strcmp(a->name, b->name);
            if (c <= 0)
                break;
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

int sl_cluster_assign(const struct sl_cluster_member *members, size_t n,
                      const struct sl_assignment *prev, int64_t max_parallelism, const char *job,
                      const char *topic_prefix, const char *leader, struct sl_assignment *out,
                      struct sl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (max_parallelism < 1 || max_parallelism > (int64_t)SL_KG_MAX)
        return sl_error_set(err, SL_EINVAL,
                            "cluster assignment: max parallelism %" PRId64 " is not in 1..%u",
                            max_parallelism, SL_KG_MAX);
    if (!job || !sl_cl_word_ok(job))
        return sl_error_set(err, SL_EINVAL, "cluster assignment: bad job name");
    if (leader && leader[0] && !sl_cl_word_fits(leader, SL_ZK_PATH_MAX))
        return sl_error_set(err, SL_EINVAL, "cluster assignment: bad leader node '%s'", leader);
    /* a spare: its node says standby and the previous generation gave it no range (one that
     * has a range there was promoted; its node may not say so yet) */
    bool *spare = calloc(n ? n : 1, sizeof(*spare));
    if (!spare)
        return sl_error_set(err, SL_ENOMEM, "cluster assignment: out of memory");
    int64_t w = 0;
    size_t working = 0;
    for (size_t i = 0; i < n; i++) {
        const struct sl_cluster_member *m = &members[i];
        const struct sl_assign_member *was = sl_cluster_find(prev, m->name);
        spare[i] = m->standby && !(was && was->hi > was->lo);
        if (!sl_cl_word_ok(m->name) || !sl_cl_word_ok(m->host)) {
            free(spare);
            return sl_error_set(err, SL_EINVAL,
                                "cluster assignment: member '%s' (host '%s'): a name and a host "
                                "are 1..%d bytes without blanks",
                                m->name, m->host, SL_MEMBER_TEXT - 1);
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(members[j].name, m->name)) {
                free(spare);
                return sl_error_set(err, SL_EINVAL, "cluster assignment: member '%s' twice",
                                    m->name);
            }
        if (m->workers < 1 || m->workers > (int64_t)SL_KG_MAX) {
            if (spare[i])
                continue; /* a spare's count matters once it is promoted */
            free(spare);
            return sl_error_set(err, SL_EINVAL,
                                "cluster assignment: member '%s' has %" PRId64 " workers", m->name,
                                m->workers);
        }
    }
    size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
    size_t *spares = malloc((n ? n : 1) * sizeof(*spares));
    bool *used = calloc(n ? n : 1, sizeof(*used));
    bool *work = calloc(n ? n : 1, sizeof(*work));
    if (!idx || !spares || !used || !work) {
        free(idx);
        free(spares);
        free(used);
        free(work);
        free(spare);
        return sl_error_set(err, SL_ENOMEM, "cluster assignment: out of memory");
    }
    /* the spares in join order: the first of the previous generation's working members
     * that is gone takes a spare of its width if there is one, else the earliest spare */
    size_t nsp = 0;
    for (size_t i = 0; i < n; i++)
        if (spare[i])
            spares[nsp++] = i;
    sl_cl_sort_new(members, spares, nsp);
    /* the previous generation's working members that are still there, in their order; one
     * that is gone leaves its place to a spare (promoted: it runs its own workers there) */
    size_t k = 0;
    for (size_t p = 0; prev && p < prev->n; p++) {
        const struct sl_assign_member *pm = &prev->members[p];
        if (pm->hi <= pm->lo)
            continue; /* a spare of the previous generation: placed below */
        size_t i = 0;
        while (i < n && strcmp(members[i].name, pm->name) != 0)
            i++;
        if (i < n) {
            if (!used[i]) {
                used[i] = work[i] = true;
                idx[k++] = i;
            }
            continue;
        }
        size_t pick = n;
        for (size_t s = 0; s < nsp && pick == n; s++)
            if (!used[spares[s]] && members[spares[s]].workers == pm->hi - pm->lo)
                pick = spares[s];
        for (size_t s = 0; s < nsp && pick == n; s++)
            if (!used[spares[s]] && members[spares[s]].workers >= 1 &&
                members[spares[s]].workers <= (int64_t)SL_KG_MAX)
                pick = spares[s];
        if (pick < n) {
            used[pick] = work[pick] = true;
            idx[k++] = pick;
        }
    }
    /* then the new working ones in join order, then the spares left (empty ranges) */
    size_t first_new = k;
    for (size_t i = 0; i < n; i++)
        if (!used[i] && !spare[i]) {
            used[i] = work[i] = true;
            idx[k++] = i;
        }
    sl_cl_sort_new(members, idx + first_new, k - first_new);
    for (size_t s = 0; s < nsp; s++)
        if (!used[spares[s]])
            idx[k++] = spares[s];
    for (size_t j = 0; j < k; j++)
        if (work[idx[j]]) {
            w += members[idx[j]].workers;
            working++;
        }
    free(spares);
    free(used);
    free(spare);
    int rc = 0;
    if (working == 0)
        rc = sl_error_set(err, SL_ESTATE,
                          "cluster assignment: no working member (%zu member%s, all standby)", n,
                          n == 1 ? "" : "s");
    else if (w > max_parallelism)
        rc = sl_error_set(err, SL_ERANGE,
                          "cluster assignment: %" PRId64 " workers over %zu members exceed "
                          "the max parallelism %" PRId64
                          " ('pipeline.max-parallelism': each worker needs a key group)",
                          w, working, max_parallelism);
    int64_t gen = prev ? prev->generation + 1 : 1;
    char topic[SL_CLUSTER_TOPIC_MAX];
    int tl = snprintf(topic, sizeof(topic), "%s-%s-g%" PRId64,
                      topic_prefix ? topic_prefix : "sluice", job, gen);
    if (!rc && (tl < 0 || (size_t)tl >= sizeof(topic) || !sl_cl_word_fits(topic, sizeof(topic))))
        rc = sl_error_set(err, SL_EINVAL,
                          "cluster assignment: the channel topic of prefix '%s' and job '%s' "
                          "is not a word of at most %d bytes",
                          topic_prefix ? topic_prefix : "sluice", job, SL_CLUSTER_TOPIC_MAX - 1);
    if (!rc && !(out->members = calloc(n ? n : 1, sizeof(*out->members))))
        rc = sl_error_set(err, SL_ENOMEM, "cluster assignment: out of memory");
    if (rc) {
        free(idx);
        free(work);
        return rc;
    }
    int64_t lo = 0;
    for (size_t j = 0; j < n; j++) {
        const struct sl_cluster_member *m = &members[idx[j]];
        struct sl_assign_member *am = &out->members[j];
        snprintf(am->name, sizeof(am->name), "%s", m->name);
        snprintf(am->host, sizeof(am->host), "%s", m->host);
        am->session = m->session;
        am->lo = lo;
        am->hi = lo + (work[idx[j]] ? m->workers : 0);
        lo = am->hi;
    }
    free(work);
    free(idx);
    out->n = n;
    out->generation = gen;
    out->max_parallelism = max_parallelism;
    out->workers = w;
    memcpy(out->topic, topic, (size_t)tl + 1);
    snprintf(out->prev_topic, sizeof(out->prev_topic), "%s", prev ? prev->topic : "");
    snprintf(out->leader, sizeof(out->leader), "%s", leader && leader[0] ? leader : "");
    out->leader_lo = -1; /* the caller, who knows which member it is, may say */
    return 0;
}

const struct sl_assign_member *sl_cluster_find(const struct sl_assignment *a, const char *name)
{
    for (size_t i = 0; a && i < a->n; i++)
        if (!strcmp(a->members[i].name, name))
            return &a->members[i];
    return NULL;
}

/* ---- text ----------------------------------------------------------------------------------- */

int sl_assignment_encode(const struct sl_assignment *a, char *buf, size_t cap, size_t *len,
                         struct sl_error *err)
{
    if (cap > SL_CLUSTER_ASSIGN_MAX)
        cap = SL_CLUSTER_ASSIGN_MAX;
    if (!sl_cl_word_fits(a->topic, sizeof(a->topic)) ||
        (a->leader[0] && !sl_cl_word_fits(a->leader, sizeof(a->leader))))
        return sl_error_set(err, SL_EINVAL, "cluster assignment: bad topic or leader");
    size_t pos = 0;
    int w = snprintf(buf, cap,
                     "generation %" PRId64 "\nmax-parallelism %" PRId64 "\nworkers %" PRId64
                     "\ntopic %s\nleader %s\nmembers %zu\n",
                     a->generation, a->max_parallelism, a->workers, a->topic,
                     a->leader[0] ? a->leader : "-", a->n);
    for (size_t i = 0;; i++) {
        if (w < 0 || (size_t)w >= cap - pos)
            return sl_error_set(err, SL_ERANGE,
                                "cluster assignment of generation %" PRId64 ": %zu members do "
                                "not fit in %zu bytes (at member %zu)",
                                a->generation, a->n, cap, i);
        pos += (size_t)w;
        if (i == a->n)
            break;
        const struct sl_assign_member *m = &a->members[i];
        if (!sl_cl_word_ok(m->name) || !sl_cl_word_ok(m->host))
            return sl_error_set(err, SL_EINVAL, "cluster assignment: bad member '%s'", m->name);
        w = snprintf(buf + pos, cap - pos, "member %s %" PRId64 " %" PRId64 " %s %" PRIx64 "\n",
                     m->name, m->lo, m->hi, m->host, (uint64_t)m->session);
    }
    if (a->leader_lo >= 0) {
        w = snprintf(buf + pos, cap - pos, "leader-lo %" PRId64 "\n", a->leader_lo);
        if (w < 0 || (size_t)w >= cap - pos)
            return sl_error_set(err, SL_ERANGE,
                                "cluster assignment of generation %" PRId64 ": %zu members do "
                                "not fit in %zu bytes (at the leader's range)",
                                a->generation, a->n, cap);
        pos += (size_t)w;
    }
    if (a->prev_topic[0]) { /* the last line, when there was a previous generation */
        if (!sl_cl_word_fits(a->prev_topic, sizeof(a->prev_topic)))
            return sl_error_set(err, SL_EINVAL, "cluster assignment: bad previous topic");
        w = snprintf(buf + pos, cap - pos, "prev-topic %s\n", a->prev_topic);
        if (w < 0 || (size_t)w >= cap - pos)
            return sl_error_set(err, SL_ERANGE,
                                "cluster assignment of generation %" PRId64 ": %zu members do "
                                "not fit in %zu bytes (at its previous topic)",
                                a->generation, a->n, cap);
        pos += (size_t)w;
    }
    *len = pos;
    return 0;
}

/* A decimal in 0..INT64_MAX: no sign, no leading zero but "0", no blank. */
static bool sl_cl_dec(const char *s, size_t n, int64_t *v)
{
    if (n == 0 || n > 18 || (n > 1 && s[0] == '0'))
        return false;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

static bool sl_cl_hex(const char *s, size_t n, int64_t *v)
{
    if (n == 0 || n > 16)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        x = x << 4 | (uint64_t)d;
    }
    *v = (int64_t)x;
    return true;
}

/* Copies a word (no blank, < cap) or fails. */
static bool sl_cl_word(const char *s, size_t n, char *dst, size_t cap)
{
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] == 0x7f)
            return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

int sl_assignment_decode(const char *buf, size_t len, const char *what, struct sl_assignment *out,
                         struct sl_error *err)
{
    static const char *const head[] = {"generation", "max-parallelism", "workers",
                                       "topic",      "leader",          "members"};
    memset(out, 0, sizeof(*out));
    out->leader_lo = -1;
    if (!what)
        what = "assignment";
    if (len == 0 || buf[len - 1] != '\n')
        return sl_error_set(err, SL_ECORRUPT, "%s: %s", what,
                            len ? "the last line has no newline" : "empty");
    size_t pos = 0, line = 0, nmem = 0;
    int64_t declared = -1, next_lo = 0;
    int rc = 0;
    const char *why = NULL, *pre = "expected "; /* pre: "" for the checks across lines */
    while (pos < len && !rc) {
        line++;
        const char *l = buf + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t ll = (size_t)(nl - l);
        pos += ll + 1;
        /* split on single spaces */
        const char *tok[8];
        size_t tlen[8], nt = 0;
        for (size_t i = 0, s = 0; i <= ll && nt < 8; i++)
            if (i == ll || l[i] == ' ') {
                tok[nt] = l + s;
                tlen[nt++] = i - s;
                s = i + 1;
            }
        if (line <= 6) {
            if (nt != 2 || tlen[0] != strlen(head[line - 1]) ||
                memcmp(tok[0], head[line - 1], tlen[0]) != 0) {
                why = head[line - 1];
                rc = SL_ECORRUPT;
                break;
            }
            bool ok = true;
            int64_t v = 0;
            if (line == 4)
                ok = sl_cl_word(tok[1], tlen[1], out->topic, sizeof(out->topic));
            else if (line == 5)
                ok = (tlen[1] == 1 && tok[1][0] == '-') ||
                     sl_cl_word(tok[1], tlen[1], out->leader, sizeof(out->leader));
            else
                ok = sl_cl_dec(tok[1], tlen[1], &v);
            if (ok && line == 1)
                ok = (out->generation = v) >= 1;
            if (ok && line == 2)
                ok = (out->max_parallelism = v) >= 1 && v <= (int64_t)SL_KG_MAX;
            if (ok && line == 3)
                ok = (out->workers = v) >= 1 && v <= out->max_parallelism;
            if (ok && line == 6) {
                ok = v <= (int64_t)(SL_CLUSTER_ASSIGN_MAX / 16);
                declared = v;
                if (ok && !(out->members = calloc(v ? (size_t)v : 1, sizeof(*out->members))))
                    return sl_error_set(err, SL_ENOMEM, "%s: out of memory", what);
            }
            if (!ok) {
                why = head[line - 1];
                rc = SL_ECORRUPT;
            }
            continue;
        }
        if (out->prev_topic[0]) { /* nothing may follow the previous topic's line */
            why = "nothing after 'prev-topic'";
            pre = "";
            rc = SL_ECORRUPT;
            break;
        }
        if (nt == 2 && tlen[0] == 9 && memcmp(tok[0], "leader-lo", 9) == 0) {
            if (out->leader_lo >= 0 || !sl_cl_dec(tok[1], tlen[1], &out->leader_lo)) {
                why = out->leader_lo >= 0 ? "one 'leader-lo' line" : "leader-lo N";
                rc = SL_ECORRUPT;
                break;
            }
            continue;
        }
        if (nt == 2 && tlen[0] == 10 && memcmp(tok[0], "prev-topic", 10) == 0) {
            if (!sl_cl_word(tok[1], tlen[1], out->prev_topic, sizeof(out->prev_topic))) {
                why = "prev-topic TOPIC";
                rc = SL_ECORRUPT;
                break;
            }
            continue;
        }
        struct sl_assign_member m;
        memset(&m, 0, sizeof(m));
        if (nt != 6 || tlen[0] != 6 || memcmp(tok[0], "member", 6) != 0 ||
            !sl_cl_word(tok[1], tlen[1], m.name, sizeof(m.name)) ||
            !sl_cl_dec(tok[2], tlen[2], &m.lo) || !sl_cl_dec(tok[3], tlen[3], &m.hi) ||
            !sl_cl_word(tok[4], tlen[4], m.host, sizeof(m.host)) ||
            !sl_cl_hex(tok[5], tlen[5], &m.session)) {
            why = "member NAME LO HI HOST SESSION";
            rc = SL_ECORRUPT;
            break;
        }
        if ((int64_t)nmem >= declared) {
            why = "more member lines than 'members' says";
            pre = "";
            rc = SL_ECORRUPT;
            break;
        }
        if (m.lo != next_lo || m.hi < m.lo || m.hi > out->workers) {
            why = "ranges must be contiguous from 0, within the workers";
            pre = "";
            rc = SL_ECORRUPT;
            break;
        }
        if (sl_cluster_find(&(struct sl_assignment){.n = nmem, .members = out->members}, m.name)) {
            why = "a member named twice";
            pre = "";
            rc = SL_ECORRUPT;
            break;
        }
        next_lo = m.hi;
        out->members[nmem++] = m;
    }
    if (!rc && line < 6) {
        line++;
        why = head[line - 1];
        rc = SL_ECORRUPT;
    }
    if (!rc && ((int64_t)nmem != declared || next_lo != out->workers)) {
        why = (int64_t)nmem != declared ? "fewer member lines than 'members' says"
                                        : "the ranges do not end at the workers";
        pre = "";
        rc = SL_ECORRUPT;
    }
    if (!rc && out->leader_lo >= out->workers) {
        why = "'leader-lo' is not a worker of the job";
        pre = "";
        rc = SL_ECORRUPT;
    }
    out->n = nmem;
    if (rc) {
        sl_assignment_free(out);
        return sl_error_set(err, rc, "%s: line %zu: %s%s", what, line, pre, why);
    }
    return 0;
}

/* ---- paths -------------------------------------------------------------------------------- */

static void sl_cl_path(char *out, const char *job, const char *tail)
{
    snprintf(out, SL_ZK_PATH_MAX, "/%s/cluster/%s", job, tail);
}

/* "e-<20 digits>" -> the epoch. */
static bool sl_cl_epoch_name(const char *name, int64_t *epoch)
{
    if (strlen(name) != 22 || strncmp(name, "e-", 2) != 0)
        return false;
    int64_t x = 0;
    for (int i = 2; i < 22; i++) {
        if (name[i] < '0' || name[i] > '9' || x > (INT64_MAX - 9) / 10)
            return false;
        x = x * 10 + (name[i] - '0');
    }
    *epoch = x;
    return true;
}

static void sl_cl_epoch_dir(char *out, const char *job, int64_t epoch)
{
    snprintf(out, SL_ZK_PATH_MAX, "/%s/cluster/acks/e-%020" PRId64, job, epoch);
}

/* Makes an epoch's ack folder with one create when its parent exists (sl_zk_ensure would
 * send a create for every level of the path: each one a write request); an existing folder
 * is fine. */
static int sl_cl_mkdir(struct sl_zk *zk, const char *dir, struct sl_error *err)
{
    int rc = sl_zk_create(zk, dir, NULL, 0, 0, NULL, 0, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        rc = sl_zk_ensure(zk, dir, err);
    }
    if (rc == SL_ESTATE) { /* NodeExists */
        sl_error_clear(err);
        rc = 0;
    }
    return rc;
}

/* ---- publish and read ------------------------------------------------------------------------ */

/* Syncs and reads the assignment node (sl_zk_get_synced, as coord/store_zk.c reads the
 * epoch record back): *exists, its bytes into buf[cap] (*len), *version. */
static int sl_cl_get_assignment(struct sl_zk *zk, const char *path, char *buf, size_t cap,
                                size_t *len, bool *exists, int32_t *version, double deadline,
                                struct sl_error *err)
{
    struct sl_zk_stat st;
    int rc = sl_zk_get_synced(zk, path, buf, cap, len, &st, sl_cl_left_ms(deadline), err);
    *exists = rc == 0;
    *version = rc == 0 ? st.version : -1;
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        *len = 0;
        return 0;
    }
    return rc;
}

int sl_cluster_publish(struct sl_zk *zk, const char *job, const char *latch_node,
                       const struct sl_assignment *a, int32_t expected_version,
                       int32_t *new_version, struct sl_error *err)
{
    if (!latch_node || !latch_node[0])
        return sl_error_set(err, SL_EFENCED,
                            "cluster %s: publishing generation %" PRId64 " without a latch node: "
                            "not the leader",
                            job, a->generation);
    if (expected_version < -1)
        return sl_error_set(err, SL_EINVAL, "cluster %s: expected version %d", job,
                            (int)expected_version);
    char *mine = malloc(SL_CLUSTER_ASSIGN_MAX), *back = malloc(SL_CLUSTER_ASSIGN_MAX);
    if (!mine || !back) {
        free(mine);
        free(back);
        return sl_error_set(err, SL_ENOMEM, "cluster %s: out of memory", job);
    }
    char path[SL_ZK_PATH_MAX], dir[SL_ZK_PATH_MAX];
    sl_cl_path(path, job, "assignment");
    snprintf(dir, sizeof(dir), "/%s/cluster", job);
    size_t len = 0;
    int rc = sl_assignment_encode(a, mine, SL_CLUSTER_ASSIGN_MAX, &len, err);
    double deadline = sl_cl_now() + SL_CLUSTER_OP_TIMEOUT_MS / 1000.0;
    while (!rc && (rc = sl_zk_ensure(zk, dir, err)) != 0)
        rc = sl_cl_reconnect(zk, rc, deadline, err);
    bool unsure = false; /* an earlier attempt may have landed */
    for (int round = 0; !rc; round++) {
        if (unsure) {
            bool exists;
            int32_t version;
            size_t blen = 0;
            struct sl_error rerr;
            sl_error_clear(&rerr);
            rc = sl_cl_get_assignment(zk, path, back, SL_CLUSTER_ASSIGN_MAX, &blen, &exists,
                                      &version, deadline, &rerr);
            if (rc == SL_EZK_RETRY) {
                rc = sl_error_set(err, SL_EZK_RETRY,
                                  "cluster %s: generation %" PRId64 " outcome unknown: %s; read "
                                  "the assignment to know",
                                  job, a->generation, rerr.msg);
                break;
            }
            if (rc) {
                if (err)
                    *err = rerr;
                break;
            }
            int32_t landed = expected_version == -1 ? 0 : expected_version + 1;
            if (exists && version == landed && blen == len && !memcmp(back, mine, len)) {
                if (new_version)
                    *new_version = version;
                break; /* this leader's own write landed */
            }
            if (exists != (expected_version != -1) || (exists && version != expected_version)) {
                struct sl_assignment other;
                struct sl_error derr;
                bool ok = exists && sl_assignment_decode(back, blen, path, &other, &derr) == 0;
                rc = sl_error_set(err, SL_ESTATE,
                                  "cluster %s: cannot publish generation %" PRId64 " at version "
                                  "%d: %s is %s%d (generation %" PRId64 " by leader %s): another "
                                  "leader published; read it again",
                                  job, a->generation, (int)expected_version, path,
                                  exists ? "at version " : "absent", exists ? (int)version : -1,
                                  ok ? other.generation : -1,
                                  ok && other.leader[0] ? other.leader : "?");
                if (ok)
                    sl_assignment_free(&other);
                break;
            }
            /* nothing landed (yet): send again; a late landing makes this one fail and be
             * read back */
            if (round > 0 && sl_cl_now() >= deadline) {
                rc = sl_error_set(err, SL_EZK_RETRY,
                                  "cluster %s: generation %" PRId64 " outcome unknown: its "
                                  "request was lost for %d ms; read the assignment to know",
                                  job, a->generation, SL_CLUSTER_OP_TIMEOUT_MS);
                break;
            }
        }
        if (round == SL_CL_ROUNDS_MAX) {
            rc = sl_error_set(err, SL_EZK,
                              "cluster %s: generation %" PRId64 ": gave up after %d multis, "
                              "each lost or raced",
                              job, a->generation, SL_CL_ROUNDS_MAX);
            break;
        }
        struct sl_zk_op ops[2] = {
            {.type = SL_ZK_OP_CHECK, .path = latch_node, .version = -1},
            expected_version == -1
                ? (struct sl_zk_op){.type = SL_ZK_OP_CREATE, .path = path, .data = mine, .len = len}
                : (struct sl_zk_op){.type = SL_ZK_OP_SET,
                                    .path = path,
                                    .data = mine,
                                    .len = len,
                                    .version = expected_version},
        };
        int failed = -1;
        rc = sl_zk_multi(zk, ops, 2, &failed, err);
        if (rc == 0) {
            if (new_version)
                *new_version = expected_version == -1 ? 0 : ops[1].new_version;
            break;
        }
        if (failed == 0) {
            rc = sl_error_set(err, SL_EFENCED,
                              "cluster %s: latch node %s is gone: this process was deposed; "
                              "generation %" PRId64 " not published",
                              job, latch_node, a->generation);
            break;
        }
        if (failed == 1 || rc == SL_EZK_RETRY) {
            /* BadVersion / NodeExists / NoNode may answer this leader's own earlier attempt
             * landing; a lost answer leaves the outcome unknown: read back */
            if (rc == SL_EZK_RETRY) {
                int w = sl_cl_reconnect(zk, rc, deadline, err);
                if (w && w != SL_EZK_RETRY) {
                    rc = w;
                    break;
                }
            }
            sl_error_clear(err);
            unsure = true;
            rc = 0;
            continue;
        }
        break; /* SL_EFENCED (session expired), SL_ERANGE, ... */
    }
    free(mine);
    free(back);
    return rc;
}

int sl_cluster_read(struct sl_zk *zk, const char *job, bool watch, struct sl_assignment *out,
                    int32_t *version, struct sl_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[SL_ZK_PATH_MAX];
    sl_cl_path(path, job, "assignment");
    int rc;
    if (watch) {
        bool exists;
        if ((rc = sl_zk_exists(zk, path, true, &exists, err)) != 0)
            return rc;
    }
    char *buf = malloc(SL_CLUSTER_ASSIGN_MAX);
    if (!buf)
        return sl_error_set(err, SL_ENOMEM, "cluster %s: out of memory", job);
    size_t len = 0;
    struct sl_zk_stat st;
    rc = sl_zk_get(zk, path, buf, SL_CLUSTER_ASSIGN_MAX, &len, &st, err);
    if (rc == SL_ENOTFOUND)
        sl_error_set(err, SL_ENOTFOUND, "cluster %s: no assignment published yet (%s)", job, path);
    if (rc == 0)
        rc = sl_assignment_decode(buf, len, path, out, err);
    if (rc == 0 && version)
        *version = st.version;
    free(buf);
    return rc;
}

/* ---- members and stabilization ----------------------------------------------------------------
 */

/* Reads the member nodes names[0..n) of dir into *out (those gone meanwhile skipped). */
static int sl_cl_read_members(struct sl_zk *zk, const char *dir, char **names, size_t n,
                              struct sl_cluster_member **out, size_t *nout, struct sl_error *err)
{
    struct sl_cluster_member *ms = calloc(n ? n : 1, sizeof(*ms));
    if (!ms)
        return sl_error_set(err, SL_ENOMEM, "cluster: out of memory");
    size_t k = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char path[2 * SL_ZK_PATH_MAX], buf[SL_CL_MEMBER_DATA];
        size_t len = 0;
        struct sl_zk_stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        rc = sl_zk_get(zk, path, buf, sizeof(buf), &len, &st, err);
        if (rc == SL_ENOTFOUND) { /* left meanwhile: the watch tells */
            sl_error_clear(err);
            rc = 0;
            continue;
        }
        if (rc)
            break;
        struct sl_member m;
        memset(&m, 0, sizeof(m));
        snprintf(m.name, sizeof(m.name), "%s", names[i]);
        sl_member_decode(buf, len, &m);
        sl_cluster_member_of(&m, st.ctime_ms, &ms[k++]);
    }
    if (rc) {
        free(ms);
        return rc;
    }
    *out = ms;
    *nout = k;
    return 0;
}

/* Lists /job/members (watching it; a missing folder is watched for its creation). */
static int sl_cl_member_names(struct sl_zk *zk, const char *job, bool watch, char ***names,
                              size_t *n, struct sl_error *err)
{
    char dir[SL_ZK_PATH_MAX];
    snprintf(dir, sizeof(dir), "/%s/members", job);
    int rc = sl_zk_children_watch(zk, dir, watch, names, n, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        bool exists;
        rc = watch ? sl_zk_exists(zk, dir, true, &exists, err) : 0;
        if (rc == 0 && watch && exists) /* created between the two: look again */
            return sl_cl_member_names(zk, job, watch, names, n, err);
    }
    return rc;
}

int sl_cluster_members(struct sl_zk *zk, const char *job, bool watch,
                       struct sl_cluster_member **out, size_t *n, struct sl_error *err)
{
    *out = NULL;
    *n = 0;
    char **names = NULL;
    size_t nn = 0;
    int rc = sl_cl_member_names(zk, job, watch, &names, &nn, err);
    if (rc)
        return rc;
    char dir[SL_ZK_PATH_MAX];
    snprintf(dir, sizeof(dir), "/%s/members", job);
    rc = sl_cl_read_members(zk, dir, names, nn, out, n, err);
    sl_zk_names_free(names, nn);
    return rc;
}

static bool sl_cl_same_names(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) /* both sorted */
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

int sl_cluster_await_stable(struct sl_zk *zk, const char *job, int stabilization_ms,
                            size_t min_members, const _Atomic int *stop,
                            struct sl_cluster_member **out, size_t *n, struct sl_error *err)
{
    *out = NULL;
    *n = 0;
    char dir[SL_ZK_PATH_MAX];
    snprintf(dir, sizeof(dir), "/%s/members", job);
    char **names = NULL;
    size_t nn = 0;
    struct sl_cluster_member *ms = NULL;
    size_t nm = 0, working = 0;
    bool have = false;
    uint64_t seen = 0;
    double changed_at = sl_cl_now();
    int rc = 0;
    for (;;) {
        if (sl_cl_stopped(stop)) {
            rc =
                sl_error_set(err, SL_ESTOPPED,
                             "cluster %s: stopped while waiting for the members to be stable", job);
            break;
        }
        if (!have || sl_zk_events(zk) != seen) {
            seen = sl_zk_events(zk);
            char **now_names = NULL;
            size_t now_n = 0;
            rc = sl_cl_member_names(zk, job, true, &now_names, &now_n, err);
            if (rc == SL_EZK_RETRY) { /* a lost connection: wait in slices, looking at stop */
                sl_error_clear(err);
                rc = sl_zk_wait_connected(zk, SL_CL_POLL_MS, err);
                if (rc && rc != SL_EZK_RETRY)
                    break;
                sl_error_clear(err);
                rc = 0;
                have = false;
                changed_at = sl_cl_now(); /* what happened meanwhile is unknown */
                continue;
            }
            if (rc)
                break;
            if (!have || !sl_cl_same_names(names, nn, now_names, now_n)) {
                if (have)
                    changed_at = sl_cl_now();
                sl_zk_names_free(names, nn);
                names = now_names;
                nn = now_n;
                free(ms);
                ms = NULL;
                rc = sl_cl_read_members(zk, dir, names, nn, &ms, &nm, err);
                if (rc == SL_EZK_RETRY) {
                    sl_error_clear(err);
                    rc = 0;
                    have = false;
                    changed_at = sl_cl_now();
                    continue;
                }
                if (rc)
                    break;
                working = 0;
                for (size_t i = 0; i < nm; i++)
                    working += !ms[i].standby;
                if (nm != nn) /* one left between the listing and its read: the watch fired */
                    changed_at = sl_cl_now();
            } else {
                sl_zk_names_free(now_names, now_n);
            }
            have = true;
        }
        double quiet_ms = (sl_cl_now() - changed_at) * 1000.0;
        if (working >= min_members && quiet_ms >= stabilization_ms) {
            *out = ms;
            *n = nm;
            ms = NULL;
            break;
        }
        int slice = SL_CL_POLL_MS;
        if (working >= min_members && stabilization_ms - quiet_ms < slice)
            slice = (int)(stabilization_ms - quiet_ms) + 1;
        sl_zk_wait_event(zk, seen, slice);
    }
    sl_zk_names_free(names, nn);
    free(ms);
    return rc;
}

int sl_cluster_members_changed(struct sl_zk *zk, const char *job, const struct sl_assignment *a,
                               uint64_t *seen, bool *changed, struct sl_error *err)
{
    *changed = false;
    uint64_t ev = sl_zk_events(zk);
    if (*seen != 0 && *seen == ev + 1)
        return 0; /* no watch fired since the last look */
    char **names = NULL;
    size_t nn = 0;
    int rc = sl_cl_member_names(zk, job, true, &names, &nn, err);
    if (rc)
        return rc;
    *seen = ev + 1;
    *changed = nn != a->n;
    for (size_t i = 0; i < nn && !*changed; i++)
        *changed = !sl_cluster_find(a, names[i]);
    sl_zk_names_free(names, nn);
    return 0;
}

/* ---- acks ----------------------------------------------------------------------------------- */

/* The generation line of an ack: its generation and where the executor's bytes start. */
static bool sl_cl_ack_parse(const char *buf, size_t len, int64_t *gen, size_t *body)
{
    const char *key = "generation ";
    size_t kl = strlen(key);
    const char *nl = len > kl ? memchr(buf, '\n', len) : NULL;
    if (!nl || memcmp(buf, key, kl) != 0)
        return false;
    size_t end = (size_t)(nl - buf);
    if (!sl_cl_dec(buf + kl, end - kl, gen) || *gen < 1)
        return false;
    *body = end + 1;
    return true;
}

int sl_cluster_ack(struct sl_zk *zk, const char *job, int64_t epoch, int64_t generation,
                   const char *member, const void *bytes, size_t len, struct sl_error *err)
{
    if (!sl_cl_word_ok(member) || strchr(member, '/') || epoch < 0 || generation < 1)
        return sl_error_set(err, SL_EINVAL,
                            "cluster %s: ack of epoch %" PRId64 " generation %" PRId64
                            " by member '%s': bad argument",
                            job, epoch, generation, member);
    if (len > SL_CLUSTER_ACK_MAX)
        return sl_error_set(err, SL_ERANGE,
                            "cluster %s: member %s's ack of epoch %" PRId64 " holds %zu bytes, "
                            "at most %d",
                            job, member, epoch, len, SL_CLUSTER_ACK_MAX);
    size_t cap = SL_CLUSTER_ACK_MAX + 64;
    char *data = malloc(cap), *back = malloc(cap);
    if (!data || !back) {
        free(data);
        free(back);
        return sl_error_set(err, SL_ENOMEM, "cluster %s: out of memory", job);
    }
    int hl = snprintf(data, cap, "generation %" PRId64 "\n", generation);
    if (len)
        memcpy(data + hl, bytes, len);
    size_t dl = (size_t)hl + len;
    char dir[SL_ZK_PATH_MAX], path[2 * SL_ZK_PATH_MAX];
    sl_cl_epoch_dir(dir, job, epoch);
    snprintf(path, sizeof(path), "%s/%s", dir, member);
    double deadline = sl_cl_now() + SL_CLUSTER_OP_TIMEOUT_MS / 1000.0;
    int rc = 0;
    for (int round = 0;; round++) {
        if (round == SL_CL_ROUNDS_MAX) {
            rc = sl_error_set(err, SL_EZK,
                              "cluster %s: ack of epoch %" PRId64 " by %s: gave up after %d "
                              "attempts, each lost or raced",
                              job, epoch, member, SL_CL_ROUNDS_MAX);
            break;
        }
        /* the folder is there (the leader made it when it started collecting) but for a member
         * that acks first: one create, and a second only then - every create, refused or
         * not, is a write request through ZooKeeper's leader */
        rc = sl_zk_create(zk, path, data, dl, 0, NULL, 0, err);
        if (rc == SL_ENOTFOUND) {
            sl_error_clear(err);
            rc = sl_cl_mkdir(zk, dir, err);
            if (rc == 0)
                rc = sl_zk_create(zk, path, data, dl, 0, NULL, 0, err);
        }
        if (rc == 0)
            break;
        if (rc == SL_EZK_RETRY) { /* outcome unknown: the next create meets it, or makes it */
            if ((rc = sl_cl_reconnect(zk, rc, deadline, err)) != 0) {
                rc = sl_error_set(err, SL_EZK_RETRY,
                                  "cluster %s: ack of epoch %" PRId64 " by %s: outcome unknown "
                                  "after %d ms: ack again",
                                  job, epoch, member, SL_CLUSTER_OP_TIMEOUT_MS);
                break;
            }
            continue;
        }
        if (rc != SL_ESTATE) /* NodeExists: read it */
            break;
        size_t blen = 0;
        struct sl_zk_stat st;
        rc = sl_zk_get(zk, path, back, cap, &blen, &st, err);
        if (rc == SL_ENOTFOUND || rc == SL_EZK_RETRY) {
            if (rc == SL_EZK_RETRY && (rc = sl_cl_reconnect(zk, rc, deadline, err)) != 0)
                break;
            sl_error_clear(err);
            continue;
        }
        if (rc)
            break;
        if (blen == dl && !memcmp(back, data, dl))
            break; /* this member's own earlier attempt landed: done */
        int64_t theirs = 0;
        size_t body;
        if (!sl_cl_ack_parse(back, blen, &theirs, &body)) {
            rc = sl_error_set(err, SL_ECORRUPT,
                              "cluster %s: %s exists and does not start with 'generation G'", job,
                              path);
            break;
        }
        if (theirs >= generation) {
            rc = sl_error_set(err, SL_ESTATE,
                              "cluster %s: %s holds another ack of generation %" PRId64
                              " (this one: generation %" PRId64 ")%s",
                              job, path, theirs, generation,
                              theirs > generation ? ": this member is behind the assignment" : "");
            break;
        }
        /* an ack of an older generation: the epoch number was reused after a rebalance */
        rc = sl_zk_delete(zk, path, st.version, err);
        if (rc == 0 || rc == SL_ENOTFOUND || rc == SL_ESTATE) {
            sl_error_clear(err);
            rc = 0;
            continue;
        }
        if ((rc = sl_cl_reconnect(zk, rc, deadline, err)) != 0)
            break;
    }
    free(data);
    free(back);
    return rc;
}

void sl_cluster_acks_free(struct sl_cluster_ack *acks, size_t n)
{
    for (size_t i = 0; acks && i < n; i++)
        free(acks[i].bytes);
    free(acks);
}

static bool sl_cl_has(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return true;
    return false;
}

/* "a, b, c" of the working members of a not yet acked (got[i] false), cut to fit. */
static void sl_cl_missing(const struct sl_assignment *a, const bool *got, char *out, size_t cap)
{
    size_t pos = 0, k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < a->n; i++) {
        if (got[i] || a->members[i].hi == a->members[i].lo)
            continue;
        int w = snprintf(out + pos, cap - pos, "%s%s", k++ ? ", " : "", a->members[i].name);
        if (w < 0 || (size_t)w >= cap - pos) {
            if (cap > 4)
                memcpy(out + cap - 4, "...", 4);
            return;
        }
        pos += (size_t)w;
    }
}

static int sl_cl_timed_out(const char *job, int64_t epoch, const struct sl_assignment *a,
                           const bool *got, size_t missing, size_t need, int timeout_ms,
                           struct sl_error *err)
{
    char names[256];
    sl_cl_missing(a, got, names, sizeof(names));
    return sl_error_set(err, SL_ETIMEOUT,
                        "cluster %s: epoch %" PRId64 " of generation %" PRId64
                        ": %zu of %zu members did not ack in %d ms: %s",
                        job, epoch, a->generation, missing, need, timeout_ms, names);
}

int sl_cluster_collect(struct sl_zk *zk, const char *job, int64_t epoch,
                       const struct sl_assignment *a, int timeout_ms, const _Atomic int *stop,
                       struct sl_cluster_ack **out, size_t *n, struct sl_error *err)
{
    *out = NULL;
    *n = 0;
    bool *got = calloc(a->n ? a->n : 1, sizeof(*got));
    struct sl_cluster_ack *acks = calloc(a->n ? a->n : 1, sizeof(*acks));
    char *buf = malloc(SL_CLUSTER_ACK_MAX + 64);
    if (!got || !acks || !buf) {
        free(got);
        free(acks);
        free(buf);
        return sl_error_set(err, SL_ENOMEM, "cluster %s: out of memory", job);
    }
    char dir[SL_ZK_PATH_MAX];
    sl_cl_epoch_dir(dir, job, epoch);
    double start = sl_cl_now();
    double deadline = timeout_ms < 0 ? 1e300 : start + timeout_ms / 1000.0;
    size_t need = 0;
    for (size_t i = 0; i < a->n; i++)
        need += a->members[i].hi > a->members[i].lo;
    size_t have = 0;
    int rc = 0;
    bool made = false, look = true;
    uint64_t seen = 0;
    while (!rc) {
        if (sl_cl_stopped(stop)) {
            rc = sl_error_set(err, SL_ESTOPPED,
                              "cluster %s: stopped while collecting the acks of epoch %" PRId64,
                              job, epoch);
            break;
        }
        if (!look && sl_zk_events(zk) == seen) { /* no watch fired: nothing to look at */
            if (sl_cl_now() >= deadline) {
                rc = sl_cl_timed_out(job, epoch, a, got, need - have, need, timeout_ms, err);
                break;
            }
            int left = sl_cl_left_ms(deadline);
            sl_zk_wait_event(zk, seen, left < SL_CL_POLL_MS ? left : SL_CL_POLL_MS);
            continue;
        }
        look = false;
        seen = sl_zk_events(zk);
        char **mnames = NULL, **anames = NULL;
        size_t mn = 0, an = 0;
        if (!made && (rc = sl_cl_mkdir(zk, dir, err)) == 0)
            made = true;
        /* the members first: one that acks and then dies is seen as acked */
        if (rc == 0)
            rc = sl_cl_member_names(zk, job, true, &mnames, &mn, err);
        if (rc == 0)
            rc = sl_zk_children_watch(zk, dir, true, &anames, &an, err);
        for (size_t i = 0; rc == 0 && i < a->n; i++) {
            const struct sl_assign_member *m = &a->members[i];
            if (got[i] || m->hi == m->lo || !sl_cl_has(anames, an, m->name))
                continue;
            char path[2 * SL_ZK_PATH_MAX];
            snprintf(path, sizeof(path), "%s/%s", dir, m->name);
            size_t len = 0;
            rc = sl_zk_get(zk, path, buf, SL_CLUSTER_ACK_MAX + 64, &len, NULL, err);
            if (rc == SL_ENOTFOUND) { /* replaced meanwhile: the watch tells */
                sl_error_clear(err);
                rc = 0;
                continue;
            }
            if (rc)
                break;
            int64_t gen = 0;
            size_t body = 0;
            if (!sl_cl_ack_parse(buf, len, &gen, &body)) {
                rc = sl_error_set(err, SL_ECORRUPT,
                                  "cluster %s: ack %s does not start with 'generation G'", job,
                                  path);
                break;
            }
            if (gen > a->generation) {
                rc = sl_error_set(err, SL_ESTATE,
                                  "cluster %s: member %s acked epoch %" PRId64
                                  " with generation %" PRId64 ", newer than this leader's "
                                  "%" PRId64 ": another leader published since; read the "
                                  "assignment again",
                                  job, m->name, epoch, gen, a->generation);
                break;
            }
            if (gen < a->generation)
                continue; /* not restored under this generation yet: it acks again */
            snprintf(acks[i].member, sizeof(acks[i].member), "%s", m->name);
            acks[i].len = len - body;
            /* one byte more, a NUL: the executor's bytes are text, and its parsers
             * (sscanf) look for the end of a string */
            if (!(acks[i].bytes = malloc(acks[i].len + 1))) {
                rc = sl_error_set(err, SL_ENOMEM, "cluster %s: out of memory", job);
                break;
            }
            memcpy(acks[i].bytes, buf + body, acks[i].len);
            ((char *)acks[i].bytes)[acks[i].len] = '\0';
            got[i] = true;
            have++;
        }
        for (size_t i = 0; rc == 0 && have < need && i < a->n; i++) {
            const struct sl_assign_member *m = &a->members[i];
            if (!got[i] && m->hi > m->lo && !sl_cl_has(mnames, mn, m->name))
                rc = sl_error_set(err, SL_ESTATE,
                                  "cluster %s: member %s (workers [%" PRId64 ", %" PRId64
                                  ")) left the job before acking epoch %" PRId64
                                  " of generation %" PRId64 ": the epoch fails",
                                  job, m->name, m->lo, m->hi, epoch, a->generation);
        }
        sl_zk_names_free(mnames, mn);
        sl_zk_names_free(anames, an);
        if (rc == SL_EZK_RETRY && sl_cl_now() < deadline) {
            sl_error_clear(err);
            int left = sl_cl_left_ms(deadline);
            rc = sl_zk_wait_connected(zk, left < SL_CL_POLL_MS ? left : SL_CL_POLL_MS, err);
            if (rc == SL_EZK_RETRY)
                rc = 0;
            sl_error_clear(err);
            look = true;
            continue;
        }
        if (rc || have == need)
            break;
        if (sl_cl_now() >= deadline) {
            rc = sl_cl_timed_out(job, epoch, a, got, need - have, need, timeout_ms, err);
            break;
        }
        int left = sl_cl_left_ms(deadline);
        sl_zk_wait_event(zk, seen, left < SL_CL_POLL_MS ? left : SL_CL_POLL_MS);
    }
    free(got);
    free(buf);
    if (rc) {
        sl_cluster_acks_free(acks, a->n);
        return rc;
    }
    /* in a's order, the working members only */
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++)
        if (acks[i].bytes)
            acks[k++] = acks[i];
    *out = acks;
    *n = k;
    return 0;
}

/* Deletes the ack folder `dir` and its acks: one multi - one ZooKeeper transaction - when
 * it fits a request, else ack by ack. A late ack (a member not yet told that the epoch
 * failed) or a lost answer makes it look again: three rounds at most. *gone: the folder
 * is gone now (by this call or before). */
static int sl_cl_rmdir(struct sl_zk *zk, const char *dir, bool *gone, struct sl_error *err)
{
    *gone = false;
    int rc = 0;
    for (int round = 0; round < 3; round++) {
        char **acks = NULL;
        size_t na = 0;
        rc = sl_zk_children(zk, dir, &acks, &na, err);
        if (rc == SL_ENOTFOUND) {
            sl_error_clear(err);
            *gone = true;
            return 0;
        }
        if (rc)
            return rc;
        struct sl_zk_op *ops = calloc(na + 1, sizeof(*ops));
        char(*paths)[2 * SL_ZK_PATH_MAX] = calloc(na ? na : 1, sizeof(*paths));
        if (!ops || !paths) {
            free(ops);
            free(paths);
            sl_zk_names_free(acks, na);
            return sl_error_set(err, SL_ENOMEM, "cluster: out of memory");
        }
        for (size_t j = 0; j < na; j++) {
            snprintf(paths[j], sizeof(paths[j]), "%s/%s", dir, acks[j]);
            ops[j] = (struct sl_zk_op){.type = SL_ZK_OP_DELETE, .path = paths[j], .version = -1};
        }
        ops[na] = (struct sl_zk_op){.type = SL_ZK_OP_DELETE, .path = dir, .version = -1};
        sl_zk_names_free(acks, na);
        int failed = -1;
        if (na + 1 <= INT32_MAX && sl_zk_multi_size(zk, ops, (int)(na + 1)) < SL_ZK_REQUEST_MAX) {
            rc = sl_zk_multi(zk, ops, (int)(na + 1), &failed, err);
        } else { /* too many acks for one request: one by one */
            rc = 0;
            for (size_t j = 0; j <= na && rc == 0; j++) {
                rc = sl_zk_delete(zk, ops[j].path, -1, err);
                if (rc == SL_ENOTFOUND && j < na) {
                    sl_error_clear(err);
                    rc = 0;
                }
            }
        }
        free(ops);
        free(paths);
        if (rc == 0) {
            *gone = true;
            return 0;
        }
        /* NoNode (deleted meanwhile), NotEmpty (a late ack), outcome unknown: look again */
        if (rc != SL_ENOTFOUND && rc != SL_ESTATE && rc != SL_EZK_RETRY)
            return rc;
        if (rc == SL_EZK_RETRY && (rc = sl_zk_wait_connected(zk, SL_CLUSTER_OP_TIMEOUT_MS, err)))
            return rc;
        sl_error_clear(err);
        rc = 0;
    }
    return sl_error_set(err, SL_ESTATE,
                        "cluster: %s: acks kept arriving while it was being deleted", dir);
}

int sl_cluster_acks_cleanup(struct sl_zk *zk, const char *job, int64_t below_epoch, size_t *deleted,
                            struct sl_error *err)
{
    if (deleted)
        *deleted = 0;
    char root[SL_ZK_PATH_MAX];
    sl_cl_path(root, job, "acks");
    char **names = NULL;
    size_t nn = 0;
    int rc = sl_zk_children(zk, root, &names, &nn, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        return 0;
    }
    for (size_t i = 0; rc == 0 && i < nn; i++) { /* sorted: oldest first */
        int64_t e;
        if (!sl_cl_epoch_name(names[i], &e))
            continue;
        if (e >= below_epoch)
            break;
        char dir[SL_ZK_PATH_MAX];
        sl_cl_epoch_dir(dir, job, e);
        bool gone = false;
        rc = sl_cl_rmdir(zk, dir, &gone, err);
        if (rc == 0 && gone && deleted)
            (*deleted)++;
    }
    sl_zk_names_free(names, nn);
    return rc;
}
