package integration

import "syscall"

// On Linux coturn is killed when the test binary dies, even without running its cleanups (a -timeout
// panic, a SIGKILL), so no turnserver is left behind.
func init() {
	coturnSysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
