package proc

import (
	"fmt"
	"syscall"
	"time"
)

// SelfCPUSeconds is this process's own user plus system CPU time.
func SelfCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// RaiseFileLimit lifts RLIMIT_NOFILE to at least want, for this process and the children it starts
// afterwards (they inherit it). Raising the hard limit needs root; otherwise the soft limit goes up to it.
func RaiseFileLimit(want uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= want {
		// Still set it: Go restores the original soft limit for children unless Setrlimit was called.
		return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	next := syscall.Rlimit{Cur: want, Max: max(lim.Max, want)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next); err != nil {
		next = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err2 := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &next); err2 != nil {
			return fmt.Errorf("RLIMIT_NOFILE stays %d: %v", lim.Cur, err2)
		}
		return fmt.Errorf("RLIMIT_NOFILE raised only to %d (wanted %d): %v", lim.Max, want, err)
	}
	return nil
}
