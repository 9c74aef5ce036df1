/* reports/persist.h — persist-before-send: a message that claims something is on disk (a durable
 * ack, a vote, an append success) must be backed by the sender's durable image at the moment it
 * leaves. The protocol modules say which of their messages claim what and check the backing;
 * this module raises the violation (unpersisted-send) in one form for all.
 */
#pragma once

#include "reports/ledger.h"

/* Raises unpersisted-send for m, which claimed `what` ("its vote in term 3"). */
void persist_unpersisted(const OracleView *v, const Msg *m, const char *what, Verdict *found);
/* A durable ack of write `idem` from a storage node: it must hold the write durably (or have
 * held it until a media fault took it). */
void persist_check_durable_ack(LedgerBook *b, const Msg *m, IdemKey idem, Verdict *found);
