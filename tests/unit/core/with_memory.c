/*
 * Linked into the unit suites of core/ that run over the memory backend
 * alone: every process of the suite hands core rfs_mem_opener before any
 * test runs, and the suite links no other adapter and no registry.
 */
#include "backends/backend.h"
#include "backends/memory/memory.h"
#include "core/ports.h"

__attribute__((constructor)) static void with_memory(void)
{
	rfs_ports_set_backends(&rfs_mem_opener);
}
