/*
 * Linked into the unit suites of core/ that use storages on disk
 * (file://) as well as in memory: every process of the suite hands core
 * the registry of every adapter, as recyclefs does at start.
 */
#include "backends/backend.h"
#include "core/ports.h"

__attribute__((constructor)) static void with_registry(void)
{
	rfs_ports_set_backends(&rfs_backend_registry);
}
