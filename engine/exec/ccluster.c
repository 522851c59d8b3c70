/*
 * engine/exec/ccluster.c - checkpoint epochs of a job over several processes (issue #15;
 * docs/scaling.md "Cluster-wide epochs", docs/cluster.md): roles, the assignment, the
 * members' acks, the leader's commit over W workers, the members following the commits.
 *
 * `sluice run --workers n --cluster W:LO --zk Z --job J --state-dir D` (D shared by every
 * process). Every process opens the commit store (engine/exec/checkpoint.h) without waiting:
 * the latch holder is the LEADER, the others are MEMBERS. Each writes into its member node
 * (engine/exec/livecfg.h) its role, W, its range [LO, LO + n) and its plan fingerprint.
 *
 * SETUP (sl_ccluster_setup, before the channel opens)
 *   the leader: recovers (a PREPARED epoch is rolled forward), waits until the member nodes'
 *     ranges cover [0, W) exactly once (a node of another W or plan fingerprint is an error
 *     naming both; a dead process's node stays until its session expires, so an overlap
 *     is waited out), and publishes the assignment of generation previous + 1 with the
 *     channel topic "sluice-<job>-g<generation>" (coord/cluster.h; fenced by its latch
 *     node). The topic of W partitions must exist or be creatable (io/kafka_chan.h).
 *   a member: waits for an assignment of a generation newer than the one it saw at its
 *     start that lists it with its range, then restores the last COMMITTED epoch (the
 *     leader published after its recovery). While it waits it tries the latch again: the
 *     leader of a dead run leaves it when its session expires, and then one of the
 *     waiting processes leads.
 * Restore: the same W - each process reads its own global workers' files; another W - every
 * old file (the rescale path of checkpoint.h).
 *
 * EPOCHS. The leader triggers (on the interval, or a stop); barriers reach the members
 * through the channel. Each process, once its workers have all snapshotted epoch E, writes
 * their files (J-w<global>-e<E>.snap) and acks E (sl_cluster_ack; the leader too) with
 *     ended 0|1              every pipeline of its workers had finished at their cuts
 *     state-bytes N
 *     offsets TEXT           its workers' offsets summary
 *     worker ...             its workers' manifest lines
 * The leader collects the acks of every member of the generation (a short poll per turn:
 * the monitor thread is not held), writes manifest-E over the W workers and commits
 * PREPARED / COMMITTED; all acks "ended 1" make E the job's final, finished epoch. A member
 * follows the epoch record (a read every 5 ms while it has an acked epoch not yet seen
 * committed): at COMMITTED E it commits its sinks up to E, calls the sources' committed(),
 * cleans up, and leaves after an epoch whose manifest says "final 1".
 *
 * STOP. SIGINT / SIGTERM on the leader: a final epoch over the cluster ("final 1" in its
 * manifest), after which every process leaves (exit 0). On a member: it leaves at once
 * (SL_ESTOPPED), without a final epoch - the others then stop naming it.
 *
 * FAILURES. Every 100 ms, when a ZooKeeper watch fired since its last look (else it reads
 * nothing), each process checks that every member of the assignment still has
 * its member node (and a member, that no newer generation was published): a dead process
 * fails the run of every other one with a message naming it; restarting every process
 * resumes from the last committed epoch on the next generation's topic.
 *
 * --cluster auto (sl_ccluster_auto_setup; docs/cluster.md). No ranges on the command line:
 * each process says how many workers it runs (its member node, role "member" from the
 * start), and the executor is built once per GENERATION (exec.c's loop, struct sl_cauto
 * kept across them). The commit store is opened first with a placeholder range; then the
 * latch holder settles the record (sl_ckpt_cluster_settle), waits for a stable member set
 * (sl_cluster_await_stable), computes the sticky assignment (sl_cluster_assign) and
 * publishes it, with the channel topic "sluice-<job>-g<G>-w<W>"; a member waits for a
 * generation newer than the last it ran that lists it, trying the latch meanwhile. Both
 * set the store's range and restore the last committed epoch (at another W by the rescale
 * path). The same watch as above then ends the generation with SL_EREBALANCE on ANY change
 * of the member names (a join, a departure, a death) or a newer generation, instead of
 * failing the run; the leader's collect does the same for a member gone before its ack.
 * The generation's executor and commit store are torn down, and the loop sets the next one
 * up - whoever holds the latch then leads it. The leader measures the rebalance time: from
 * its publication to the generation's first committed epoch (sl_ccluster_first_commit).
 *
 * --cluster auto --standby (sl_ccluster_standby): a SPARE builds no executor and opens no
 * commit store (so it never holds the latch: a leader must run a range). It waits on its
 * member node's session until an assignment gives it a range - the leader's
 * sl_cluster_assign puts a spare into the place of a working member that is gone - and
 * then runs the generation like any member; or, when the job has had an assignment and no
 * working process for the stabilization timeout, it joins as a member itself. The figures
 * of the metrics endpoint (generation, generations started, the last rebalance time) are
 * pushed by sl_cc_metrics, as the endpoint outlives each generation's executor.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coord/commit.h"
#include "coord/jobconf.h"
#include "engine/core/log.h"
#include "engine/exec/exec_int.h"
#include "engine/exec/livecfg.h"
#include "engine/exec/metrics.h"

/* How long a leader waits for the members' ranges, and a member for the assignment. */
#define SL_CCLUSTER_WAIT_MS 120000

static void sl_cc_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool sl_cc_stopped(const struct sl_exec *x)
{
    return x->opts->stop && atomic_load_explicit(x->opts->stop, memory_order_relaxed);
}

/* --cluster auto's figures for the metrics endpoint (engine/exec/metrics.h). */
static void sl_cc_metrics(const struct sl_exec_opts *opts, const struct sl_cauto *ca)
{
    sl_metrics_cluster(opts->metrics, ca->standby ? 0 : ca->generation, ca->generations,
                       ca->rebalances ? ca->rebalance_last_ms : -1);
}

/* The members' declared ranges against this process's W and fingerprint (a mismatch is an
 * error naming both); *covered: every global worker declared exactly once; `missing` says
 * what is not yet. */
static int sl_cc_check(struct sl_exec *x, const struct sl_member *ms, size_t n, bool *covered,
                       char *missing, size_t cap, struct sl_error *err)
{
    const char *job = x->opts->ckpt->job;
    char fp[20];
    snprintf(fp, sizeof(fp), "%016" PRIx64, sl_ckpt_fingerprint(x->ck));
    *covered = false;
    int *count = calloc((size_t)x->nall, sizeof(*count));
    const char **by = calloc((size_t)x->nall, sizeof(*by));
    if (!count || !by) {
        free(count);
        free(by);
        return sl_error_set(err, SL_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct sl_member *m = &ms[i];
        if (m->cluster_w <= 0)
            continue; /* not a process of this cluster (a standby, a tool) */
        if (m->cluster_w != x->nall)
            rc = sl_error_set(err, SL_EINVAL,
                              "job '%s': member %s runs the job with W = %" PRId64
                              " workers (--cluster %" PRId64 ":%" PRId64
                              ") and member %s (this process) with W = %d (--cluster %d:%d): "
                              "every process of the job must give the same W",
                              job, m->name, m->cluster_w, m->cluster_w, m->cluster_lo, x->cl_member,
                              x->nall, x->nall, x->base);
        else if (strcmp(m->fingerprint, fp) != 0)
            rc = sl_error_set(err, SL_EINVAL,
                              "job '%s': member %s runs a plan of fingerprint %s and member "
                              "%s (this process) one of %s: every process of the job must run "
                              "the same SQL",
                              job, m->name, m->fingerprint, x->cl_member, fp);
        for (int64_t g = m->cluster_lo; !rc && g < m->cluster_hi && g < x->nall; g++) {
            if (g < 0)
                continue;
            count[g]++;
            if (!by[g])
                by[g] = m->name;
        }
    }
    if (!rc) {
        *covered = true;
        for (int g = 0; g < x->nall && *covered; g++) {
            if (count[g] == 1)
                continue;
            *covered = false;
            if (count[g] == 0)
                snprintf(missing, cap, "no process runs global worker %d of %d", g, x->nall);
            else
                snprintf(missing, cap,
                         "global worker %d is declared by %d processes (%s, ...; a dead "
                         "process's member node stays until its ZooKeeper session expires)",
                         g, count[g], by[g]);
        }
    }
    free(count);
    free(by);
    return rc;
}

static int sl_cc_members(struct sl_exec *x, struct sl_member **ms, size_t *n, struct sl_error *err)
{
    return sl_member_list(sl_ckpt_zk(x->ck), x->opts->ckpt->job, ms, n, err);
}

static int sl_cc_by_lo(const void *a, const void *b)
{
    const struct sl_assign_member *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void sl_cc_drop_topic(struct sl_exec *x, const char *topic);

/* The leader: waits for the ranges, publishes the next generation. */
static int sl_cc_lead(struct sl_exec *x, struct sl_error *err)
{
    const struct sl_ckpt_opts *o = x->opts->ckpt;
    struct sl_zk *zk = sl_ckpt_zk(x->ck);
    int rc = sl_ckpt_recover(x->ck, err); /* a PREPARED epoch is rolled forward first */
    if (rc)
        return rc;
    struct sl_member *ms = NULL;
    size_t n = 0;
    char missing[512] = "";
    double deadline = sl_exec_wall() + SL_CCLUSTER_WAIT_MS / 1e3;
    for (;;) {
        bool covered = false;
        free(ms);
        ms = NULL;
        if ((rc = sl_cc_members(x, &ms, &n, err)) ||
            (rc = sl_cc_check(x, ms, n, &covered, missing, sizeof(missing), err)))
            goto out;
        if (covered)
            break;
        if (sl_cc_stopped(x)) {
            rc = sl_error_set(err, SL_ESTOPPED,
                              "job '%s': stopped while waiting for the cluster's members", o->job);
            goto out;
        }
        if (sl_exec_wall() > deadline) {
            rc = sl_error_set(err, SL_ETIMEOUT,
                              "job '%s': the leader waited %d s for the processes of the "
                              "cluster (W = %d): %s",
                              o->job, SL_CCLUSTER_WAIT_MS / 1000, x->nall, missing);
            goto out;
        }
        sl_cc_sleep_ms(100);
    }
    struct sl_assignment prev = {0};
    int32_t ver = -1;
    rc = sl_cluster_read(zk, o->job, false, &prev, &ver, err);
    if (rc == SL_ENOTFOUND) {
        rc = 0;
        ver = -1;
    }
    if (rc)
        goto out;
    struct sl_assignment *a = &x->assign;
    a->generation = prev.generation + 1;
    /* the previous generation's topic, and the one before it, which nobody reads any more
     * (sl_cc_drop_topic; as --cluster auto does) */
    char drop[SL_CLUSTER_TOPIC_MAX];
    snprintf(a->prev_topic, sizeof(a->prev_topic), "%s", prev.topic);
    snprintf(drop, sizeof(drop), "%s", prev.prev_topic);
    sl_assignment_free(&prev);
    a->max_parallelism = sl_ckpt_kg_max(x->ck);
    a->workers = x->nall;
    snprintf(a->topic, sizeof(a->topic), "sluice-%s-g%" PRId64, o->job, a->generation);
    snprintf(a->leader, sizeof(a->leader), "%s", sl_ckpt_latch_node(x->ck));
    a->members = calloc(n ? n : 1, sizeof(*a->members));
    if (!a->members) {
        rc = sl_error_set(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (ms[i].cluster_w <= 0)
            continue;
        struct sl_assign_member *am = &a->members[a->n++];
        snprintf(am->name, sizeof(am->name), "%s", ms[i].name);
        snprintf(am->host, sizeof(am->host), "%s", ms[i].host);
        am->lo = ms[i].cluster_lo;
        am->hi = ms[i].cluster_hi;
        am->session = ms[i].session;
    }
    qsort(a->members, a->n, sizeof(*a->members), sl_cc_by_lo);
    a->leader_lo = x->base; /* the exactly-once Kafka output's writer (sl_exec_txn_writer) */
    if ((rc = sl_cluster_publish(zk, o->job, sl_ckpt_latch_node(x->ck), a, ver, NULL, err)))
        goto out;
    if (o->log)
        fprintf(o->log,
                "sluice: job '%s': leader of the cluster: generation %" PRId64
                ", %d workers over %zu processes, channel topic '%s'\n",
                o->job, a->generation, x->nall, a->n, a->topic);
    sl_cc_drop_topic(x, drop);
out:
    free(ms);
    return rc;
}

int sl_ccluster_setup(struct sl_exec *x, struct sl_error *err)
{
    const struct sl_ckpt_opts *o = x->opts->ckpt;
    struct sl_zk *zk = sl_ckpt_zk(x->ck);
    x->cl_member = sl_livecfg_member_name(x->opts->live);
    struct sl_assignment prev = {0};
    int64_t gen0 = 0;
    int rc = sl_cluster_read(zk, o->job, false, &prev, NULL, err);
    if (rc == SL_ENOTFOUND)
        rc = 0;
    else if (!rc)
        gen0 = prev.generation;
    sl_assignment_free(&prev);
    if (rc)
        return rc;
    bool leader = sl_ckpt_is_leader(x->ck);
    uint64_t fp = sl_ckpt_fingerprint(x->ck);
    if ((rc = sl_livecfg_cluster(x->opts->live, leader ? "leader" : "member", x->nall, x->base,
                                 x->base + x->n, fp, err)))
        return rc;
    if (leader) {
        x->cl_leader = true;
        return sl_cc_lead(x, err);
    }
    if (o->log)
        fprintf(o->log,
                "sluice: job '%s': a member of the cluster (workers [%d, %d) of %d); waiting "
                "for the leader's assignment\n",
                o->job, x->base, x->base + x->n, x->nall);
    double deadline = sl_exec_wall() + SL_CCLUSTER_WAIT_MS / 1e3;
    for (;;) {
        struct sl_assignment a = {0};
        rc = sl_cluster_read(zk, o->job, false, &a, NULL, err);
        if (!rc && a.generation > gen0) {
            const struct sl_assign_member *me = sl_cluster_find(&a, x->cl_member);
            if (!me || me->lo != x->base || me->hi != x->base + x->n || a.workers != x->nall) {
                rc = sl_error_set(err, SL_ESTATE,
                                  "job '%s': generation %" PRId64 " of the assignment (by %s) "
                                  "does not give this process (%s) its workers [%d, %d) of %d",
                                  o->job, a.generation, a.leader, x->cl_member, x->base,
                                  x->base + x->n, x->nall);
                sl_assignment_free(&a);
                return rc;
            }
            x->assign = a;
            break;
        }
        sl_assignment_free(&a);
        if (rc && rc != SL_ENOTFOUND)
            return rc;
        struct sl_member *ms = NULL;
        size_t n = 0;
        bool covered;
        char missing[512];
        rc = sl_cc_members(x, &ms, &n, err);
        if (!rc)
            rc = sl_cc_check(x, ms, n, &covered, missing, sizeof(missing), err);
        free(ms);
        if (rc)
            return rc;
        /* the leader of a dead run leaves the latch when its session expires */
        if ((rc = sl_ckpt_try_lead(x->ck, err)))
            return rc;
        if (sl_ckpt_is_leader(x->ck)) {
            if (o->log)
                fprintf(o->log, "sluice: job '%s': this process leads the cluster now\n", o->job);
            if ((rc = sl_livecfg_cluster(x->opts->live, "leader", x->nall, x->base, x->base + x->n,
                                         fp, err)))
                return rc;
            x->cl_leader = true;
            return sl_cc_lead(x, err);
        }
        if (sl_cc_stopped(x))
            return sl_error_set(err, SL_ESTOPPED,
                                "job '%s': stopped while waiting for the cluster's assignment",
                                o->job);
        if (sl_exec_wall() > deadline)
            return sl_error_set(err, SL_ETIMEOUT,
                                "job '%s': no assignment newer than generation %" PRId64
                                " was published within %d s (the leader publishes one once "
                                "the processes' --cluster ranges cover the job's %d workers)",
                                o->job, gen0, SL_CCLUSTER_WAIT_MS / 1000, x->nall);
        sl_cc_sleep_ms(100);
    }
    if (o->log)
        fprintf(o->log,
                "sluice: job '%s': generation %" PRId64 " (leader %s), channel topic '%s'\n",
                o->job, x->assign.generation, x->assign.leader, x->assign.topic);
    return sl_ckpt_recover(x->ck, err);
}

/* ---- --cluster auto: the assignment from ZooKeeper, a new generation on a change ---- */

/* The member set differs from the generation's (ms[0..n) against x->assign): which
 * members joined and which are gone, as a SL_EREBALANCE that ends the generation. */
static int sl_cc_auto_change(struct sl_exec *x, const struct sl_coordinator *cc,
                             const struct sl_member *ms, size_t n, struct sl_error *err)
{
    char what[384] = "";
    size_t k = 0;
    for (size_t i = 0; i < x->assign.n && k < sizeof(what); i++) {
        const struct sl_assign_member *am = &x->assign.members[i];
        bool here = am->hi == am->lo; /* a spare that left: nothing of it runs */
        for (size_t j = 0; j < n && !here; j++)
            here = !strcmp(ms[j].name, am->name);
        if (!here)
            k += (size_t)snprintf(what + k, sizeof(what) - k,
                                  "%smember %s (workers [%" PRId64 ", %" PRId64 ")) is gone",
                                  k ? ", " : "", am->name, am->lo, am->hi);
    }
    for (size_t j = 0; j < n && k < sizeof(what); j++)
        if (!sl_cluster_find(&x->assign, ms[j].name) && strcmp(ms[j].role, "standby") != 0)
            k += (size_t)snprintf(what + k, sizeof(what) - k,
                                  "%smember %s (%" PRId64 " workers) joined", k ? ", " : "",
                                  ms[j].name, ms[j].workers);
    if (!k) /* the same names (one left and came back): nothing to do */
        return 0;
    return sl_error_set(err, SL_EREBALANCE,
                        "job '%s': %s: generation %" PRId64 " ends (the epoch in flight "
                        "fails; the last committed epoch, %" PRIu64 ", is restored under "
                        "the next generation)",
                        x->opts->ckpt->job, what, x->assign.generation, cc->committed);
}

/* After publishing generation G + 1 (either mode): the channel topic of generation G - 1
 * (the previous assignment's "prev-topic"). Every process of G - 1 has left it - each went
 * through G's set-up, or died - so nothing reads it again (a process frozen since then fails on it
 * and the others went on without it anyway). Deleted at most 2 s into the leader's set-up; a broker
 * without DeleteTopics (the mock) or any refusal leaves it, as a log line says. */
static void sl_cc_drop_topic(struct sl_exec *x, const char *topic)
{
    if (!topic[0] || !strcmp(topic, x->assign.topic))
        return;
    const struct sl_ckpt_opts *o = x->opts->ckpt;
    struct sl_error e;
    sl_error_clear(&e);
    int rc = sl_kchan_delete_topic(x->opts->cluster_brokers, topic, x->opts->kafka_props,
                                   x->opts->nkafka_props, 2000, &e);
    if (o->log && (rc == 0 ? sl_log_enabled(SL_LOG_INFO) : sl_log_enabled(SL_LOG_WARN)))
        fprintf(o->log, "sluice: job '%s': the channel topic '%s' of an earlier generation %s%s\n",
                o->job, topic, rc == 0 ? "is deleted" : "stays: ", rc == 0 ? "" : e.msg);
}

/* The leader of --cluster auto: settles the record, waits for a stable member set and
 * publishes the next generation (sticky on the previous one). */
static int sl_cc_auto_lead(struct sl_exec *x, struct sl_error *err)
{
    const struct sl_exec_opts *opts = x->opts;
    const struct sl_ckpt_opts *o = opts->ckpt;
    struct sl_zk *zk = sl_ckpt_zk(x->ck);
    uint32_t kg = 0;
    int rc = sl_ckpt_cluster_settle(x->ck, &kg, err);
    if (rc)
        return rc;
    sl_livecfg_role(opts->live, "leader");
    int stab = opts->cluster_stabilization_ms >= 0 ? opts->cluster_stabilization_ms : 2000;
    /* --cluster-min-members is for the first generation this process runs (a job started
     * on several processes at once); after a member's loss the survivors go on without it */
    size_t min =
        opts->cluster_min_members > 0 && !x->cl_auto->generation && !x->cl_auto->was_standby
            ? (size_t)opts->cluster_min_members
            : 1;
    if (o->log && sl_log_enabled(SL_LOG_INFO))
        fprintf(o->log,
                "sluice: job '%s': this process leads; waiting until the members have been "
                "stable for %d ms (at least %zu working)\n",
                o->job, stab, min);
    struct sl_cluster_member *ms = NULL;
    size_t n = 0;
    if ((rc = sl_cluster_await_stable(zk, o->job, stab, min, opts->stop, &ms, &n, err)))
        return rc;
    struct sl_assignment prev = {0};
    int32_t ver = -1;
    rc = sl_cluster_read(zk, o->job, false, &prev, &ver, err);
    bool have_prev = rc == 0;
    if (rc == SL_ENOTFOUND) {
        rc = 0;
        ver = -1;
    }
    struct sl_assignment *a = &x->assign;
    if (!rc)
        rc = sl_cluster_assign(ms, n, have_prev ? &prev : NULL, (int64_t)kg, o->job, NULL,
                               sl_ckpt_latch_node(x->ck), a, err);
    /* the topic of the generation before the previous one: nobody reads it any more */
    char drop[SL_CLUSTER_TOPIC_MAX];
    snprintf(drop, sizeof(drop), "%s", have_prev ? prev.prev_topic : "");
    sl_assignment_free(&prev);
    free(ms);
    if (rc)
        return rc;
    /* the leader runs workers too: an assignment without its own range (its member node was
     * gone while the members were listed - a session that expired between two generations)
     * is not published, as the members would take it and wait for epochs nobody triggers */
    const struct sl_assign_member *self = sl_cluster_find(a, x->cl_member);
    if (!self || self->hi - self->lo != x->n) {
        rc = sl_error_set(err, SL_EREBALANCE,
                          "job '%s': the leader's own member node (%s) was not among the "
                          "members it would assign: generation %" PRId64 " is not published; "
                          "the group is formed again",
                          o->job, x->cl_member, a->generation);
        sl_assignment_free(a);
        return rc;
    }
    a->leader_lo = self->lo; /* the exactly-once Kafka output's writer (sl_exec_txn_writer) */
    /* the channel's topic carries W: a broker without CreateTopics (`sluice kafka-mock`)
     * can have each generation's made beforehand at the W it will have */
    snprintf(a->topic, sizeof(a->topic), "sluice-%s-g%" PRId64 "-w%" PRId64, o->job, a->generation,
             a->workers);
    if ((rc = sl_cluster_publish(zk, o->job, sl_ckpt_latch_node(x->ck), a, ver, NULL, err)))
        return rc;
    x->cl_auto->published = sl_exec_wall();
    x->cl_leader = true;
    sl_cc_drop_topic(x, drop);
    if (o->log && sl_log_enabled(SL_LOG_INFO)) {
        char who[512] = "";
        size_t k = 0, working = 0;
        for (size_t i = 0; i < a->n; i++)
            working += a->members[i].hi > a->members[i].lo; /* the spares are not counted */
        for (size_t i = 0; i < a->n && k < sizeof(who); i++) {
            const struct sl_assign_member *am = &a->members[i];
            char r[64] = "spare";
            if (am->hi > am->lo)
                snprintf(r, sizeof(r), "[%" PRId64 ", %" PRId64 ")", am->lo, am->hi);
            k += (size_t)snprintf(who + k, sizeof(who) - k, "%s%s %s", i ? ", " : "", am->name, r);
        }
        fprintf(o->log,
                "sluice: job '%s': leader of the cluster: generation %" PRId64
                " published, %" PRId64 " workers over %zu processes (%s), channel topic "
                "'%s'\n",
                o->job, a->generation, a->workers, working, who, a->topic);
    }
    return 0;
}

int sl_ccluster_auto_setup(struct sl_exec *x, struct sl_error *err)
{
    const struct sl_exec_opts *opts = x->opts;
    const struct sl_ckpt_opts *o = opts->ckpt;
    struct sl_zk *zk = sl_ckpt_zk(x->ck);
    struct sl_cauto *ca = x->cl_auto;
    x->cl_member = sl_livecfg_member_name(opts->live);
    ca->published = 0;
    ca->measured = false;
    int rc = 0;
    bool said = false;
    for (;;) {
        if (sl_cc_stopped(x))
            return sl_error_set(err, SL_ESTOPPED,
                                "job '%s': stopped while waiting for the cluster's assignment",
                                o->job);
        /* this process's member node, which the live thread keeps while a generation
         * runs: between two it may have gone with an expired session */
        rc = sl_livecfg_ensure_member(opts->live, err);
        if (!rc)
            rc = sl_ckpt_try_lead(x->ck, err);
        if (rc == SL_EZK_RETRY) { /* ZooKeeper away for a moment: look again */
            sl_cc_sleep_ms(100);
            continue;
        }
        if (rc)
            return rc;
        if (sl_ckpt_is_leader(x->ck)) {
            if ((rc = sl_cc_auto_lead(x, err)))
                return rc;
            break;
        }
        struct sl_assignment a = {0};
        rc = sl_cluster_read(zk, o->job, false, &a, NULL, err);
        if (rc && rc != SL_ENOTFOUND)
            return rc;
        const struct sl_assign_member *me = rc ? NULL : sl_cluster_find(&a, x->cl_member);
        if (me && a.generation > ca->generation && me->hi > me->lo) {
            x->assign = a;
            break;
        }
        sl_assignment_free(&a);
        if (!said && o->log && sl_log_enabled(SL_LOG_INFO))
            fprintf(o->log,
                    "sluice: job '%s': a member of the cluster (%d workers); waiting for the "
                    "leader's assignment of a generation after %" PRId64 "\n",
                    o->job, x->n, ca->generation);
        said = true;
        sl_cc_sleep_ms(100);
    }
    const struct sl_assign_member *me = sl_cluster_find(&x->assign, x->cl_member);
    if (!me || me->hi - me->lo != x->n)
        return sl_error_set(err, SL_ESTATE,
                            "job '%s': generation %" PRId64 " of the assignment (by %s) gives "
                            "this process (%s) %" PRId64 " workers, but it runs %d (its member "
                            "node says how many it runs: is it the leader's own node?)",
                            o->job, x->assign.generation, x->assign.leader, x->cl_member,
                            me ? me->hi - me->lo : 0, x->n);
    x->nall = (int)x->assign.workers;
    x->base = (int)me->lo;
    ca->generation = x->assign.generation;
    ca->generations++;
    sl_cc_metrics(opts, ca);
    sl_ckpt_cluster_range(x->ck, x->nall, x->base);
    if ((rc = sl_livecfg_cluster(opts->live, x->cl_leader ? "leader" : "member", x->nall, x->base,
                                 x->base + x->n, sl_ckpt_fingerprint(x->ck), err)))
        return rc;
    if (!x->cl_leader && o->log && sl_log_enabled(SL_LOG_INFO))
        fprintf(o->log,
                "sluice: job '%s': generation %" PRId64 " (leader %s): workers [%d, %d) of %d, "
                "channel topic '%s'\n",
                o->job, x->assign.generation, x->assign.leader, x->base, x->base + x->n, x->nall,
                x->assign.topic);
    return sl_ckpt_recover(x->ck, err);
}

/* --cluster auto --standby: the spare's wait, before any executor (docs/cluster.md, "A
 * spare"). It reads the assignment and the members on its member node's session, with
 * watches, waking at least every 100 ms to look at the stop flag. */
int sl_ccluster_standby(const struct sl_exec_opts *opts, struct sl_cauto *ca, struct sl_error *err)
{
    const struct sl_ckpt_opts *o = opts->ckpt;
    struct sl_zk *zk = sl_livecfg_zk(opts->live);
    const char *me = sl_livecfg_member_name(opts->live);
    if (!zk)
        return sl_error_set(err, SL_EINVAL, "--standby needs --cluster auto with --zk");
    int stab = opts->cluster_stabilization_ms >= 0 ? opts->cluster_stabilization_ms : 2000;
    double alone_since = 0; /* since when no working process is there (0: one is) */
    double next_read = 0;   /* ZooKeeper is read when a watch fired, and at least every 1 s */
    uint64_t seen = 0;
    bool said = false;
    sl_cc_metrics(opts, ca);
    for (;;) {
        if (opts->stop && atomic_load_explicit(opts->stop, memory_order_relaxed))
            return sl_error_set(err, SL_ESTOPPED,
                                "job '%s': this spare (%s) was stopped (SIGINT / SIGTERM) while "
                                "it waited; it took no work",
                                o->job, me);
        int rc = sl_livecfg_ensure_member(opts->live, err);
        double now = sl_exec_wall();
        if (!rc && next_read && sl_zk_events(zk) == seen && now < next_read) {
            if (alone_since && (now - alone_since) * 1e3 >= stab)
                next_read = 0; /* the timeout is up: look once more before leaving the wait */
            else
                sl_zk_wait_event(zk, seen, 100);
            continue;
        }
        seen = sl_zk_events(zk);
        next_read = now + 1.0;
        struct sl_assignment a = {0};
        bool have = false;
        if (!rc) {
            rc = sl_cluster_read(zk, o->job, true, &a, NULL, err);
            have = rc == 0;
            if (rc == SL_ENOTFOUND)
                rc = 0;
        }
        struct sl_cluster_member *ms = NULL;
        size_t n = 0;
        if (!rc)
            rc = sl_cluster_members(zk, o->job, true, &ms, &n, err);
        if (rc == SL_EZK_RETRY) { /* ZooKeeper away for a moment: look again */
            sl_assignment_free(&a);
            sl_cc_sleep_ms(100);
            continue;
        }
        if (rc) {
            sl_assignment_free(&a);
            return rc;
        }
        const struct sl_assign_member *mine = have ? sl_cluster_find(&a, me) : NULL;
        if (mine && mine->hi > mine->lo && a.generation > ca->generation) {
            if (o->log && sl_log_enabled(SL_LOG_INFO))
                fprintf(o->log,
                        "sluice: job '%s': this spare (%s) is promoted: generation %" PRId64
                        " (by %s) gives it workers [%" PRId64 ", %" PRId64 ") of %" PRId64 "\n",
                        o->job, me, a.generation, a.leader, mine->lo, mine->hi, a.workers);
            ca->promoted = a.generation;
            ca->standby = false;
            sl_assignment_free(&a);
            free(ms);
            return 0;
        }
        bool working = false;
        for (size_t i = 0; i < n && !working; i++)
            working = !ms[i].standby;
        free(ms);
        int64_t gen = a.generation;
        sl_assignment_free(&a);
        if (working || !have) {
            alone_since = 0;
        } else if (!alone_since) {
            alone_since = now;
        } else if ((now - alone_since) * 1e3 >= stab) {
            /* the job has run (an assignment exists) and none of its working processes has
             * been there for the stabilization timeout: the spare runs it */
            if (o->log && sl_log_enabled(SL_LOG_INFO))
                fprintf(o->log,
                        "sluice: job '%s': no working process of the job has been there for "
                        "%d ms (the last assignment is generation %" PRId64
                        "): this spare (%s) joins as a member and may lead\n",
                        o->job, stab, gen, me);
            sl_livecfg_role(opts->live, "member");
            ca->standby = false;
            return 0;
        }
        if (!said && o->log && sl_log_enabled(SL_LOG_INFO))
            fprintf(o->log,
                    "sluice: job '%s': a spare of the cluster (%s, %d workers): it takes no work "
                    "and does not try the latch until a generation gives it the range of a "
                    "working member that left\n",
                    o->job, me, opts->workers > 0 ? opts->workers : sl_exec_default_workers());
        said = true;
        sl_zk_wait_event(zk, seen, 100);
    }
}

void sl_ccluster_first_commit(struct sl_exec *x, uint64_t epoch)
{
    struct sl_cauto *ca = x->cl_auto;
    if (!ca || ca->measured)
        return;
    ca->measured = true;
    ca->committed = true;
    if (!ca->published) /* a member: the leader measures it */
        return;
    double ms = (sl_exec_wall() - ca->published) * 1e3;
    ca->rebalances++;
    ca->rebalance_last_ms = ms;
    if (ms > ca->rebalance_max_ms)
        ca->rebalance_max_ms = ms;
    sl_cc_metrics(x->opts, ca);
    const struct sl_ckpt_opts *o = x->opts->ckpt;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (o->log && sl_log_enabled(SL_LOG_INFO))
        fprintf(o->log,
                "sluice: job '%s': generation %" PRId64 " (%d workers): its first epoch %" PRIu64
                " committed %.1f ms after its publication (the rebalance time; at Unix "
                "%.3f s)\n",
                o->job, x->assign.generation, x->nall, epoch, ms,
                (double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* This process's files of epoch e and its ack. */
static int sl_cc_write_and_ack(struct sl_exec *x, uint64_t e, struct sl_ckpt_stats *st,
                               struct sl_error *err)
{
    struct sl_sbuf lines, offs, ack;
    sl_sbuf_init(&lines);
    sl_sbuf_init(&offs);
    sl_sbuf_init(&ack);
    int rc = sl_ckpt_write_files(x->ck, e, x->ck_states, st, &lines, &offs, err);
    if (!rc) {
        bool ended = true;
        for (int i = 0; i < x->n; i++)
            ended &= x->workers[i].ck_ended;
        char head[96];
        int k = snprintf(head, sizeof(head), "ended %d\nstate-bytes %" PRIu64 "\noffsets ", ended,
                         st->state_bytes);
        sl_sbuf_put(&ack, head, (size_t)k);
        sl_sbuf_put(&ack, offs.len ? (const char *)offs.p : "-", offs.len ? offs.len : 1);
        sl_sbuf_put(&ack, "\n", 1);
        sl_sbuf_put(&ack, lines.p, lines.len);
        if (!(rc = sl_sbuf_check(&ack, err)))
            rc = sl_cluster_ack(sl_ckpt_zk(x->ck), x->opts->ckpt->job, (int64_t)e,
                                x->assign.generation, x->cl_member, ack.p, ack.len, err);
    }
    sl_sbuf_free(&lines);
    sl_sbuf_free(&offs);
    sl_sbuf_free(&ack);
    return rc;
}

int sl_ccluster_leader_complete(struct sl_exec *x, struct sl_coordinator *cc, uint64_t e,
                                struct sl_ckpt_stats *st, struct sl_error *err)
{
    const struct sl_ckpt_opts *o = x->opts->ckpt;
    struct sl_zk *zk = sl_ckpt_zk(x->ck);
    int rc;
    if (!cc->files_done) {
        if ((rc = sl_cc_write_and_ack(x, e, &cc->cst, err)))
            return rc;
        cc->files_done = true;
        cc->next_follow = 0;
    }
    double now = sl_exec_wall();
    if (now < cc->next_follow)
        return 0;
    cc->next_follow = now + 0.002;
    struct sl_cluster_ack *acks = NULL;
    size_t na = 0;
    rc = sl_cluster_collect(zk, o->job, (int64_t)e, &x->assign, 1, NULL, &acks, &na, err);
    if (rc == SL_ETIMEOUT)
        return 0;          /* not every member has acked yet: the next turn looks again */
    if (rc == SL_ESTATE) { /* a member left before acking: said as the watch says it */
        struct sl_error e2;
        cc->next_watch = 0;
        int wrc = sl_ccluster_watch(x, cc, &e2);
        if (wrc == SL_ESTATE || wrc == SL_EREBALANCE) {
            *err = e2;
            rc = wrc; /* --cluster auto: a new generation, not a failed run */
        } else if (x->cl_auto) {
            /* an ack of a newer generation (another leader published since this one's
             * latch was lost) or a member gone that the watch has not seen yet: either way
             * the group is formed again */
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            rc = sl_error_set(err, SL_EREBALANCE, "%s", msg);
        }
    }
    if (rc)
        return rc;
    struct sl_sbuf lines, offs;
    sl_sbuf_init(&lines);
    sl_sbuf_init(&offs);
    bool ended = true;
    *st = cc->cst;
    st->state_bytes = 0;
    for (size_t i = 0; i < na && !rc; i++) {
        const char *p = acks[i].bytes, *end = p + acks[i].len;
        int en = 0;
        unsigned long long sb = 0;
        const char *l2 = memchr(p, '\n', (size_t)(end - p));
        const char *l3 = l2 ? memchr(l2 + 1, '\n', (size_t)(end - l2 - 1)) : NULL;
        const char *l4 = l3 ? memchr(l3 + 1, '\n', (size_t)(end - l3 - 1)) : NULL;
        if (!l4 || sscanf(p, "ended %d", &en) != 1 ||
            sscanf(l2 + 1, "state-bytes %llu", &sb) != 1 || strncmp(l3 + 1, "offsets ", 8) != 0) {
            rc = sl_error_set(err, SL_ECORRUPT,
                              "job '%s': the ack of epoch %" PRIu64 " by member %s is not "
                              "sluice's (ended / state-bytes / offsets / worker lines)",
                              o->job, e, acks[i].member);
            break;
        }
        ended &= en != 0;
        st->state_bytes += sb;
        const char *ov = l3 + 9;
        if (l4 - ov != 1 || *ov != '-') {
            if (offs.len)
                sl_sbuf_put(&offs, ",", 1);
            sl_sbuf_put(&offs, ov, (size_t)(l4 - ov));
        }
        sl_sbuf_put(&lines, l4 + 1, (size_t)(end - l4 - 1));
    }
    sl_cluster_acks_free(acks, na);
    if (!rc && !(rc = sl_sbuf_check(&lines, err)) && !(rc = sl_sbuf_check(&offs, err))) {
        if (ended) { /* every worker of the job had ended at its cut: the job is finished */
            sl_ckpt_mark_finished(x->ck);
            cc->final = cc->ended = true;
        }
        if (cc->final)
            sl_ckpt_mark_final(x->ck);
        rc = sl_ckpt_commit_lines(x->ck, e, x->nall, &lines, &offs, st, err);
    }
    sl_sbuf_free(&lines);
    sl_sbuf_free(&offs);
    cc->files_done = false;
    if (rc)
        return rc;
    struct sl_error e2;
    if (sl_cluster_acks_cleanup(zk, o->job, (int64_t)e + 1, NULL, &e2) && o->log &&
        sl_log_enabled(SL_LOG_WARN))
        fprintf(o->log, "sluice: job '%s': the acks' cleanup: %s\n", o->job, e2.msg);
    return 1;
}

/* A member: the leader's commits, up to what it acked. force: read now. */
static int sl_cc_follow(struct sl_exec *x, struct sl_coordinator *cc, bool force,
                        struct sl_error *err)
{
    const struct sl_ckpt_opts *o = x->opts->ckpt;
    double now = sl_exec_wall();
    if (cc->acked <= cc->committed || (!force && now < cc->next_follow))
        return 0;
    cc->next_follow = now + 0.005;
    struct sl_epoch_rec rec;
    int rc = sl_ckpt_read_record(x->ck, &rec, err);
    if (rc)
        return rc;
    if (rec.phase != SL_EPOCH_COMMITTED || rec.epoch <= (int64_t)cc->committed)
        return 0;
    if (rec.epoch > (int64_t)cc->acked)
        return sl_error_set(err, SL_ESTATE,
                            "job '%s': epoch %" PRId64 " was committed but this member (%s) "
                            "acked only up to %" PRIu64 ": another run leads the job",
                            o->job, rec.epoch, x->cl_member, cc->acked);
    uint64_t e = (uint64_t)rec.epoch;
    bool final = false, finished = false;
    if ((rc = sl_ckpt_member_committed(x->ck, &rec, &final, &finished, err)))
        return rc;
    if ((rc = sl_coordinator_sinks_commit(x, e, err)))
        return rc;
    struct sl_error cerr;
    if (sl_ckpt_cleanup(x->ck, &cerr) != 0 && o->log && sl_log_enabled(SL_LOG_WARN))
        fprintf(o->log, "\nsluice: checkpoint cleanup: %s\n", cerr.msg);
    double t_end = sl_exec_wall();
    if (cc->ndur < cc->capdur) {
        cc->dur[cc->ndur] = (t_end - cc->t_trigger) * 1e3;
        cc->align[cc->ndur++] = 0;
    }
    cc->committed = e;
    cc->ncommitted++;
    cc->bytes = cc->cst.bytes;
    cc->state_bytes = cc->cst.state_bytes;
    if (final) {
        cc->final = true;
        cc->ended = finished;
        atomic_store(&x->ck_shutdown, 1);
        sl_exec_wake_all(x);
    }
    return 0;
}

int sl_ccluster_member_turn(struct sl_exec *x, struct sl_coordinator *cc, struct sl_error *err)
{
    if (atomic_load(&x->ck_shutdown))
        return 0;
    if (sl_cc_stopped(x) && x->cl_auto) /* its node goes: the others rebalance without it */
        return sl_error_set(err, SL_ESTOPPED,
                            "job '%s': this member (%s) was stopped (SIGINT / SIGTERM): it "
                            "leaves without a final epoch; the other processes go on under a "
                            "new generation from the last committed epoch (%" PRIu64 ")",
                            x->opts->ckpt->job, x->cl_member, cc->committed);
    if (sl_cc_stopped(x)) /* only the leader's stop takes a final epoch over the cluster */
        return sl_error_set(err, SL_ESTOPPED,
                            "job '%s': this member (%s) was stopped (SIGINT / SIGTERM): it "
                            "leaves without a final epoch, and the other processes stop naming "
                            "it; stop the leader instead for a final epoch over the cluster "
                            "(the last committed epoch is %" PRIu64 ")",
                            x->opts->ckpt->job, x->cl_member, cc->committed);
    uint64_t e = atomic_load_explicit(&x->workers[0].ck_ready, memory_order_acquire);
    bool ready = e > cc->acked;
    for (int i = 1; i < x->n && ready; i++)
        ready = atomic_load_explicit(&x->workers[i].ck_ready, memory_order_acquire) == e;
    int rc = 0;
    if (ready) {
        for (int i = 0; i < x->n && !rc; i++)
            if (x->workers[i].ck_rc) {
                rc = x->workers[i].ck_rc;
                sl_error_set(err, rc, "checkpoint %" PRIu64 " failed: %s", e,
                             x->workers[i].ck_err.msg);
            }
        if (!rc)
            rc = sl_cc_write_and_ack(x, e, &cc->cst, err);
        if (rc)
            return rc;
        sl_ckpt_files_taken(x->ck); /* the next epoch's files reference these */
        cc->acked = e;
        cc->t_trigger = sl_exec_wall();
        sl_coordinator_dur_room(cc);
    }
    if ((rc = sl_cc_follow(x, cc, false, err)))
        return rc;
    if (atomic_load(&x->ck_shutdown))
        return 0;
    if ((rc = sl_ccluster_watch(x, cc, err))) {
        /* the leader leaves after the final epoch committed: read the record once more */
        struct sl_error e2;
        if (sl_cc_follow(x, cc, true, &e2) == 0 && atomic_load(&x->ck_shutdown))
            return 0;
        return rc;
    }
    return 0;
}

int sl_ccluster_watch(struct sl_exec *x, struct sl_coordinator *cc, struct sl_error *err)
{
    const struct sl_ckpt_opts *o = x->opts->ckpt;
    double now = sl_exec_wall();
    if (now < cc->next_watch)
        return 0;
    bool force = cc->next_watch == 0; /* the first look, or a caller that saw a change */
    cc->next_watch = now + 0.1;
    /* ZooKeeper is read only when a watch fired since the last look (a member node went or
     * came, the assignment changed, the session moved): the watches on /J/members and, for
     * a member, /J/cluster/assignment are set again by the reads below. ev is taken before
     * them, so a change during the reads fires a watch counted after ev */
    struct sl_zk *zk = sl_ckpt_zk(x->ck);
    uint64_t ev = sl_zk_events(zk);
    if (!force && cc->watch_seen == ev + 1)
        return 0;
    uint64_t seen = 0;
    bool changed = false;
    int rc = sl_cluster_members_changed(zk, o->job, &x->assign, &seen, &changed, err);
    if (rc)
        return rc;
    struct sl_member *ms = NULL;
    size_t n = 0;
    if (changed && (rc = sl_cc_members(x, &ms, &n, err)))
        return rc;
    if (changed && x->cl_auto) { /* --cluster auto: any change makes a new generation */
        if ((rc = sl_cc_auto_change(x, cc, ms, n, err))) {
            free(ms);
            return rc;
        }
        changed = false; /* only a standby came or went */
    }
    for (size_t i = 0; changed && i < x->assign.n && !rc; i++) {
        const struct sl_assign_member *am = &x->assign.members[i];
        bool here = false;
        for (size_t k = 0; k < n && !here; k++)
            here = !strcmp(ms[k].name, am->name);
        if (!here)
            rc =
                sl_error_set(err, SL_ESTATE,
                             "job '%s': member %s (workers [%" PRId64 ", %" PRId64
                             ") of generation %" PRId64 ") is gone from ZooKeeper - its "
                             "process died or left, or its session expired: the epoch in "
                             "flight fails, and so does this process's run (restart every "
                             "process: they resume from the last committed epoch, %" PRIu64
                             ", on the next generation's channel)",
                             o->job, am->name, am->lo, am->hi, x->assign.generation, cc->committed);
    }
    free(ms);
    if (rc)
        return rc;
    if (x->cl_leader) {
        cc->watch_seen = ev + 1;
        return 0;
    }
    struct sl_assignment a = {0};
    rc = sl_cluster_read(zk, o->job, true, &a, NULL, err);
    if (!rc && a.generation != x->assign.generation && x->cl_auto)
        rc = sl_error_set(err, SL_EREBALANCE,
                          "job '%s': generation %" PRId64 " of the assignment was published "
                          "(by %s) while this process (%s) runs generation %" PRId64
                          ": it restores the last committed epoch (%" PRIu64 ") under it",
                          o->job, a.generation, a.leader, x->cl_member, x->assign.generation,
                          cc->committed);
    else if (!rc && a.generation != x->assign.generation)
        rc = sl_error_set(err, SL_ESTATE,
                          "job '%s': generation %" PRId64 " of the assignment was published "
                          "(by %s) while this process (%s) runs generation %" PRId64
                          ": it stops (restart it to join the new generation)",
                          o->job, a.generation, a.leader, x->cl_member, x->assign.generation);
    sl_assignment_free(&a);
    if (!rc)
        cc->watch_seen = ev + 1;
    return rc;
}
