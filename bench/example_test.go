//go:build unix

package bench_test

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/pyexec-mcp/pyexec/bench"
)

// A run under the reaper with a sampler beside it. Not run as a test: it
// needs an interpreter; reaper_test.go runs the same steps.
func ExampleNewReaper() {
	python := "/usr/bin/python3" // a real interpreter, not a pyenv shim
	cmd := exec.Command(python, "-c", "b = b'x' * (50 << 20)")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // signal -pgid to stop it
	reaper, err := bench.NewReaper(cmd, python)
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		reaper.Close()
		log.Fatal(err)
	}
	sampler := bench.StartSampler(cmd.Process.Pid, &bench.SamplerOptions{
		Interval: 20 * time.Millisecond,
		Exclude:  []int{cmd.Process.Pid}, // the reaper is the leader
	})
	waitErr := cmd.Wait() // the payload's own exit status
	sampled := sampler.Stop()
	report, err := reaper.Report()
	if err != nil {
		log.Fatal(err, waitErr)
	}
	usage := bench.Merge(report.Usage, sampled)
	fmt.Printf("exit %d, %v CPU, peak %d MiB (%s)\n",
		report.ExitCode, usage.CPUTime(), usage.PeakRSS>>20, usage.PeakRSSSource)
}

func ExampleParseReport() {
	line := []byte(`{"v":1,"wall_s":0.5,"utime_s":0.25,"stime_s":0.05,"maxrss_kb":102400,"floor_kb":7480,"exit_code":0,"signal":0}`)
	r, err := bench.ParseReport(line)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.ExitCode, r.Usage.WallTime, r.Usage.CPUTime(), r.Usage.PeakRSS>>20, r.Usage.PeakRSSSource)
	// Output:
	// 0 500ms 300ms 100 reaper
}

func ExampleUsage_MarshalJSON() {
	u := bench.Usage{
		WallTime:      1200 * time.Millisecond,
		UserTime:      900 * time.Millisecond,
		SystemTime:    100 * time.Millisecond,
		PeakRSS:       210 << 20,
		PeakRSSSource: bench.SourceReaper,
	}
	data, _ := json.Marshal(u)
	fmt.Println(string(data))
	// Output:
	// {"wall_time_seconds":1.2,"user_time_seconds":0.9,"system_time_seconds":0.1,"cpu_time_seconds":1,"peak_rss_bytes":220200960,"peak_rss_source":"reaper","samples":0}
}

func ExampleMerge() {
	exact := bench.Usage{PeakRSS: 100 << 20, PeakRSSSource: bench.SourceReaper}
	// A 100 MiB parent with workers alive at once: wait4 reports the largest
	// process, the sampler the sum.
	sampled := bench.SamplerResult{PeakGroupRSS: 180 << 20, PeakHWM: 100 << 20, Samples: 12, MaxProcesses: 4}
	u := bench.Merge(exact, sampled)
	fmt.Println(u.PeakRSS>>20, u.PeakRSSSource, u.Samples)
	// Output:
	// 180 sampler 12
}
