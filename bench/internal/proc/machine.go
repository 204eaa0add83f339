package proc

import (
	"fmt"
	"os/exec"
	"runtime"
	"strings"
)

// Machine describes this computer in one line: CPUs, model, memory, Go.
func Machine() string {
	model := ""
	if out, err := exec.Command("lscpu").Output(); err == nil {
		for line := range strings.Lines(string(out)) {
			if v, ok := strings.CutPrefix(line, "Model name:"); ok {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return strings.TrimSpace(fmt.Sprintf("%d CPUs %s, %s, %s %s/%s", runtime.NumCPU(), model, memTotal(),
		runtime.Version(), runtime.GOOS, runtime.GOARCH))
}

// memTotal is the machine's memory from /proc/meminfo, in GiB.
func memTotal() string {
	v, err := KiBField("/proc/meminfo", "MemTotal")
	if err != nil {
		return "memory unknown"
	}
	return fmt.Sprintf("%.1f GiB RAM", float64(v)/(1<<20))
}
