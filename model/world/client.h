/* model/world/client.h — the clients, for the assembly of a world (assemble.c). */
#pragma once

#include "model/world/world_internal.h"

/* The client `index` at endpoint `ep`, with its share of the workload. Caller owns the result. */
Client *client_new(World *w, guint index, EndpointId ep);
void client_free(Client *c);
/* Starts its first operation (world_start). */
void client_start(World *w, Client *c);
/* Takes a message the network delivers (an EndpointReceiveFn). */
void client_receive(World *w, Endpoint *to, Msg *m);
