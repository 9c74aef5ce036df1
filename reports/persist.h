/* reports/persist.h — persist-before-send: a message that claims something is on disk (a durable
 * ack, a vote, an append success) must be backed by the sender's durable image at the moment it
 * leaves. The protocol modules say which of their messages claim what and check the backing;
 * this module raises the violation (unpersisted-send) in one form for all.
 */
#pragma once

#include "reports/ledger.h"

/* Raises unpersisted-send for m, which claimed `what` ("its vote in term 3"). */
void persist_unpersisted(const OracleView *v, const Msg *m, const char *what, Verdict *found);
/* A send whose claim the durable disk does not back: the protocol's fault (unpersisted-send),
 * unless `fs_broke`: the writes it rests on are ones an fsync returned 0 for, and the file
 * system lost them without telling (fs-broken-promise). */
void persist_unbacked(const OracleView *v, const Msg *m, const char *what, gboolean fs_broke,
                      Verdict *found);
/* Whether a write the file system broke its promise for, on node's disk, satisfies `holds`. */
gboolean persist_fs_broke(const OracleView *v, EndpointId node,
                          gboolean (*holds)(const DiskBlock *b, const void *ctx), const void *ctx);
/* A durable ack of write `idem` from a storage node: it must hold the write durably (or have
 * held it until a media fault took it). `holds` tells whether a lost block holds the write (for
 * the file system's broken promises; NULL: never). */
void persist_check_durable_ack(LedgerBook *b, const Msg *m, IdemKey idem,
                               gboolean (*holds)(const DiskBlock *b, const void *ctx),
                               Verdict *found);
