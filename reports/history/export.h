/* reports/history/export.h — writing a durasim run's client history in jepsen-edn, so that
 * Knossos, Porcupine, Elle or `durasim check-history --model durasim-kv` can check it.
 *
 * One line per event, in simulated-time order (invocations first at one instant):
 *   {:process 0, :type :invoke, :f :put, :key "k1", :value 5, :time 1200000, :client "c1"}
 *   {:process 0, :type :ok, :f :put, :key "k1", :value 5, :time 3400000, :client "c1"}
 * :f is put, get, add or delete; a get's :ok :value is what it read, nil when the key was
 * absent; :fail is an operation that definitely did not happen, :info one whose outcome the
 * client could not know, and an operation still pending at the end has no completion line.
 * :time is simulated nanoseconds; :client names the client endpoint; :process numbers are
 * per-client lanes with at most one operation open each (an :info operation's lane is never
 * reused). Writes that share an idempotency key (retries of one logical operation, which the
 * store applies at most once) are written as one operation. The text depends only on the run,
 * so the same seed writes the same file.
 */
#pragma once

#include "model/world/world.h"

/* The history as text (caller frees). */
char *hc_export_edn(World *w);
/* Writes it to `path`; FALSE with *error when the file cannot be written. */
gboolean hc_export_edn_file(World *w, const char *path, GError **error);
