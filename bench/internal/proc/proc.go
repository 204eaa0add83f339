// Package proc reads what the benchmarks measure of a process from Linux's /proc: CPU time and memory.
package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// CPUSeconds returns the user plus system CPU time process pid has used so far.
func CPUSeconds(pid int) (float64, error) {
	ticks, err := cpuTicks(pid)
	if err != nil {
		return 0, err
	}
	return float64(ticks) / float64(clockTicks()), nil
}

// StatusKiB reads one "Name:  123 kB" line of /proc/PID/status.
func StatusKiB(pid int, field string) (int64, error) {
	return KiBField(fmt.Sprintf("/proc/%d/status", pid), field)
}

// KiBField reads the "Name:  123 kB" line of a /proc file such as status or meminfo.
func KiBField(path, field string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("%s has no %s", path, field)
}

// cpuTicks returns utime+stime of /proc/PID/stat, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return ParseStatTicks(string(data))
}

// ParseStatTicks takes fields 14 (utime) and 15 (stime) of a /proc/PID/stat line. The command name in
// field 2 may hold spaces and parentheses, so fields are counted after its last ')'.
func ParseStatTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat line")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("short /proc stat line")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return utime + stime, nil
}

// clockTicks is the kernel clock tick rate (getconf CLK_TCK), usually 100.
var clockTicks = sync.OnceValue(func() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && v > 0 {
			return v
		}
	}
	return 100
})
