/* model/libraft/libraft_admin.c — operations on the cluster (add-server, remove-server,
 * transfer-leader) through the library's own calls.
 *
 * Each server of the run is in the bootstrap configuration (servers 1..V as voters, the others
 * as spares), so a spare, or a standby, joins with raft_assign(RAFT_VOTER) (0.15 first catches
 * it up in rounds, then appends the configuration); a server removed earlier is no longer in
 * the configuration and joins with raft_add (as a spare) and then raft_assign. remove-server is
 * raft_remove; transfer-leader is raft_transfer (0: to whom the library picks).
 *
 * Answers: ok once the library's callback reports the change committed (raft_change_cb with 0),
 * or, for a transfer, once its callback ran and the library names the target as leader. A
 * synchronous error appended nothing, so its refusal is definite: NotLeader or NoLeader, or
 * Busy (a change in progress, RAFT_CANTCHANGE; a server the change does not fit; the last
 * voter). A callback with an error (leadership lost, shutdown) is indeterminate: the entry may
 * still commit. A change already in force is ok once the configuration holding it is committed,
 * and an indeterminate Busy while it is not (the pending entry may be this change).
 *
 * Invariants: every outstanding operation is in n->admins until its callback ran (or the
 * instance was abandoned); an add waiting for its raft_assign is in n->admin_next, and the
 * assign runs after the library returned from the call whose callback finished the raft_add.
 */
#include "model/libraft/libraft_internal.h"
#include "model/libraft/libraft_marks.h"

struct LRAdmin {
    union {
        struct raft_change change;
        struct raft_transfer transfer;
    } u;
    LRNode *node;
    EndpointId client;
    uint32_t op;
    uint16_t attempt;
    uint8_t kind;
    raft_id server;     /* 0: a transfer to whom the library picks */
    gboolean answered;  /* the client has its answer */
    gboolean in_flight; /* the library holds u */
};

/* The role of server `id` in the library's current configuration; -1: not a member. */
static int member_role(const LRNode *n, raft_id id)
{
    const struct raft_configuration *c = &n->raft.configuration;
    for (unsigned i = 0; i < c->n; i++)
        if (c->servers[i].id == id)
            return c->servers[i].role;
    return -1;
}

static guint voter_count(const LRNode *n)
{
    const struct raft_configuration *c = &n->raft.configuration;
    guint v = 0;
    for (unsigned i = 0; i < c->n; i++)
        v += c->servers[i].role == RAFT_VOTER;
    return v;
}

static void answer(LRAdmin *a, gboolean ok, FailReason why, gboolean definite)
{
    LRNode *n = a->node;
    if (a->answered)
        return;
    a->answered = TRUE;
    if (ok)
        LMARK(n, ADMIN_OK);
    else if (!definite)
        LMARK(n, ADMIN_INDEFINITE);
    lr_reply(n, a->client, a->op, a->attempt, ok, why, definite, NULL);
}

static void admin_done(LRAdmin *a)
{
    LRNode *n = a->node;
    gboolean found = g_ptr_array_remove(n->admins, a);
    g_assert(found);
    g_free(a);
}

static void change_cb(struct raft_change *req, int status)
{
    LRAdmin *a = (LRAdmin *)req;
    LRNode *n = a->node;
    a->in_flight = FALSE;
    if (status == 0 && a->kind == OP_ADD_SERVER && member_role(n, a->server) != RAFT_VOTER) {
        /* raft_add is done (a spare now): raft_assign once the library returned. */
        g_queue_push_tail(&n->admin_next, a);
        return;
    }
    if (status == 0)
        LMARK(n, ADMIN_COMMITTED);
    answer(a, status == 0, status == 0 ? FAIL_NONE : FAIL_LOST_LEADERSHIP, FALSE);
    admin_done(a);
}

static void transfer_cb(struct raft_transfer *req)
{
    LRAdmin *a = (LRAdmin *)req;
    LRNode *n = a->node;
    a->in_flight = FALSE;
    raft_id id;
    const char *address;
    raft_leader(&n->raft, &id, &address);
    gboolean ok = id != 0 && id == req->id;
    if (ok)
        LMARK(n, ADMIN_TRANSFERRED);
    /* Not yet: the target may still win the election the transfer started. */
    answer(a, ok, ok ? FAIL_NONE : FAIL_LOST_LEADERSHIP, FALSE);
    admin_done(a);
}

/* A synchronous error of raft_add, raft_assign, raft_remove or raft_transfer: nothing was
 * appended or sent. */
static void refused(LRAdmin *a, int rv)
{
    LRNode *n = a->node;
    if (rv == RAFT_CANTCHANGE)
        LMARK(n, ADMIN_CANT_CHANGE);
    else if (rv != RAFT_NOTLEADER)
        LMARK(n, ADMIN_REFUSED);
    FailReason why = rv == RAFT_NOTLEADER ? FAIL_NO_LEADER : FAIL_BUSY;
    answer(a, FALSE, why, TRUE);
    admin_done(a);
}

static void assign_voter(LRAdmin *a)
{
    LMARK(a->node, ADMIN_ASSIGN);
    int rv = raft_assign(&a->node->raft, &a->u.change, a->server, RAFT_VOTER, change_cb);
    if (rv != 0) {
        refused(a, rv);
        return;
    }
    a->in_flight = TRUE;
}

/* Whether the change is in force already: ok if committed, else an indeterminate Busy. TRUE:
 * answered. */
static gboolean already(LRAdmin *a, gboolean in_force)
{
    if (!in_force)
        return FALSE;
    LRNode *n = a->node;
    LMARK(n, ADMIN_ALREADY);
    gboolean committed = n->raft.configuration_uncommitted_index == 0;
    answer(a, committed, committed ? FAIL_NONE : FAIL_BUSY, FALSE);
    admin_done(a);
    return TRUE;
}

static void start_change(LRAdmin *a)
{
    LRNode *n = a->node;
    int role = member_role(n, a->server);
    int rv;
    if (a->kind == OP_ADD_SERVER) {
        if (already(a, role == RAFT_VOTER))
            return;
        if (role >= 0) {
            assign_voter(a);
            return;
        }
        char addr[16];
        snprintf(addr, sizeof addr, "%u", (unsigned)a->server);
        LMARK(n, ADMIN_ADD);
        rv = raft_add(&n->raft, &a->u.change, a->server, addr, change_cb);
    } else {
        if (already(a, role < 0))
            return;
        if (role == RAFT_VOTER && voter_count(n) <= 1) {
            refused(a, RAFT_BADROLE); /* the last voter stays */
            return;
        }
        LMARK(n, ADMIN_REMOVE);
        rv = raft_remove(&n->raft, &a->u.change, a->server, change_cb);
    }
    if (rv != 0) {
        refused(a, rv);
        return;
    }
    a->in_flight = TRUE;
}

void lr_admin_request(LRNode *n, const Msg *m)
{
    const ClientReq *cq = &m->u.creq;
    LRAdmin *a = g_new0(LRAdmin, 1);
    a->node = n;
    a->client = m->from;
    a->op = cq->op;
    a->attempt = cq->attempt;
    a->kind = cq->kind;
    g_ptr_array_add(n->admins, a);
    if (cq->value >= (Value)n->init.nodes || (cq->value < 0 && cq->kind != OP_TRANSFER)) {
        refused(a, RAFT_BADID); /* no such server */
        return;
    }
    a->server = cq->value < 0 ? 0 : (raft_id)cq->value + 1;
    if (cq->kind != OP_TRANSFER) {
        start_change(a);
        return;
    }
    if (a->server == n->raft.id) {
        answer(a, TRUE, FAIL_NONE, FALSE); /* it leads already */
        admin_done(a);
        return;
    }
    LMARK(n, ADMIN_TRANSFER);
    int rv = raft_transfer(&n->raft, &a->u.transfer, a->server, transfer_cb);
    if (rv != 0) {
        refused(a, rv);
        return;
    }
    a->in_flight = TRUE;
}

void lr_admin_continue(LRNode *n)
{
    LRAdmin *a;
    while ((a = g_queue_pop_head(&n->admin_next)) != NULL) {
        if (!n->started || raft_state(&n->raft) != RAFT_LEADER) {
            /* The server was added as a spare; its promotion never started. */
            answer(a, FALSE, FAIL_LOST_LEADERSHIP, FALSE);
            admin_done(a);
            continue;
        }
        assign_voter(a);
    }
}

void lr_admin_setup(LRNode *n)
{
    n->admins = g_ptr_array_new();
    g_queue_init(&n->admin_next);
}

void lr_admin_shutdown(LRNode *n)
{
    for (guint i = 0; i < n->admins->len; i++)
        answer(g_ptr_array_index(n->admins, i), FALSE, FAIL_SHUTDOWN, FALSE);
}

void lr_admin_clear(LRNode *n)
{
    /* The library is closed: no callback will come. */
    g_queue_clear(&n->admin_next);
    for (guint i = 0; i < n->admins->len; i++)
        g_free(g_ptr_array_index(n->admins, i));
    g_ptr_array_free(n->admins, TRUE);
    n->admins = NULL;
}
