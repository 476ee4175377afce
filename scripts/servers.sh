# Servers the tests use, started once per test run. Sourced by test.sh.
# Each exports what the tests read from the environment.

servers_start() {
	return 0
}

servers_stop() {
	return 0
}
