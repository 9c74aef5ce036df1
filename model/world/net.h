/* model/world/net.h — the world's network, for the parts that send (node.c, client.c) and the
 * assembly that frees a world (assemble.c). It delivers through each endpoint's `receive`. */
#pragma once

#include "model/world/world_internal.h"

/* Sends `m` (the network owns it): traced, then dropped, delayed, duplicated or delivered. */
void net_send(World *w, Msg *m);
/* Frees a NetRuleEntry (the rules array's free function). */
void net_rule_entry_free(gpointer p);
/* Frees the messages of deliveries still queued (before the queue is freed). */
void net_free_in_flight(World *w);
