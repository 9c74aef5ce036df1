/* model/world/node.h — the node runtime, for the assembly of a world (assemble.c). */
#pragma once

#include "model/world/world_internal.h"

/* Sets up a node's runtime state (timers, streams, its disk when it has one). */
void node_init(World *w, Endpoint *n);
/* Boots every node (world_start). */
void node_boot_all(World *w);
/* Takes a message the network delivers (an EndpointReceiveFn): run now, or kept while paused. */
void node_receive(World *w, Endpoint *n, Msg *m);
/* Frees what node_init and the runs made. */
void node_free(Endpoint *n);
