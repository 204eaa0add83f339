package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"
)

// pinProcess restricts every thread of this process to the given CPUs (threads created later inherit
// the mask of the thread that creates them).
func pinProcess(cpus []int) error {
	var mask [16]uint64 // 1024 CPUs
	for _, c := range cpus {
		if c < 0 || c >= 64*len(mask) {
			return fmt.Errorf("cpu %d out of range", c)
		}
		mask[c/64] |= 1 << (c % 64)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid),
			uintptr(len(mask)*8), uintptr(unsafe.Pointer(&mask[0])))
		if errno != 0 && errno != syscall.ESRCH { // ESRCH: the thread exited meanwhile
			return fmt.Errorf("sched_setaffinity(%d): %w", tid, errno)
		}
	}
	return nil
}

// otherCPUs lists every CPU but one.
func otherCPUs(but int) []int {
	var out []int
	for c := range runtime.NumCPU() {
		if c != but {
			out = append(out, c)
		}
	}
	return out
}
