// Package bench measures the wall time, CPU time and peak resident set size
// (RSS) of a child process tree: exactly where the kernel can tell
// (wait4's rusage), by sampling /proc where it cannot.
//
//	python := "/usr/bin/python3" // a real interpreter, not a pyenv shim
//	cmd := exec.Command(python, "-c", "b = b'x' * (50 << 20)")
//	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
//	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // signal -pgid to stop it
//	reaper, err := bench.NewReaper(cmd, python)
//	if err != nil {
//		log.Fatal(err)
//	}
//	if err := cmd.Start(); err != nil {
//		reaper.Close()
//		log.Fatal(err)
//	}
//	sampler := bench.StartSampler(cmd.Process.Pid, &bench.SamplerOptions{
//		Interval: 20 * time.Millisecond,
//		Exclude:  []int{cmd.Process.Pid}, // the reaper is the leader
//	})
//	waitErr := cmd.Wait() // the payload's own exit status
//	sampled := sampler.Stop()
//	report, err := reaper.Report()
//	if err != nil {
//		log.Fatal(err, waitErr)
//	}
//	usage := bench.Merge(report.Usage, sampled)
//	fmt.Printf("exit %d, %v CPU, peak %d MiB (%s)\n",
//		report.ExitCode, usage.CPUTime(), usage.PeakRSS>>20, usage.PeakRSSSource)
//
// # Why a reaper
//
// wait4's ru_maxrss is floored at the peak RSS of the parent: Go starts
// children with vfork, and at exec the kernel copies the old address space's
// high-water mark into the child's. Measured here: after the Go process had
// touched 300 MiB, `python -c pass` reported 310244 KiB (its real peak is
// ~13 MiB). A long-lived server's children would all look as big as it.
// [NewReaper] (or [ReaperArgv]) runs the payload under a small stdlib-only
// Python script (reaper.py, embedded), started with -I -S so that it stays
// at ~8 MiB: it forks and execs the payload, waits for it with os.wait4,
// writes one JSON line to a pipe ([ParseReport]) and exits with the
// payload's exit status, re-raising the signal that killed it. The
// payload's stdin, stdout and stderr are its own; it receives SIGINT and
// SIGTERM, which the reaper ignores, when the caller signals the process
// group.
//
// Without a reaper, [FromProcessState] reads the same rusage and believes
// ru_maxrss only above the floor that [SelfPeakRSS] reports.
//
// # Sampler
//
// [StartSampler] reads /proc every interval for every member of a process
// group and keeps the largest summed VmRSS and the largest VmHWM of any
// member. It sees what wait4 cannot: processes that are never waited for
// (daemonised grandchildren) and the sum over concurrent processes.
// [Merge] combines both.
//
// # Caveats
//
//   - wait4 and the reaper report a max, not a sum: the peak of the largest
//     single process among the payload and the descendants it waited for.
//     Ten concurrent 100 MiB workers report 100 MiB; only the sampler sums.
//   - The reaper's floor is its forked copy's RSS at exec, ~7-9 MiB
//     (Report.RSSFloor): a payload that stays below it reports an unknown
//     peak (PeakRSS 0, PeakRSSSource ""), never the floor.
//   - The sampler misses peaks shorter than its interval in the sum, and
//     processes that exit between two samples entirely. VmHWM covers the
//     peaks of processes still alive at the next sample; where VmHWM is
//     unavailable only VmRSS is read. It needs Linux /proc; elsewhere it
//     records no samples.
//   - CPU time counts only what was waited for: a daemonised (setsid,
//     double-forked) descendant's CPU is in no one's rusage, and a
//     descendant that leaves the process group escapes the sampler too.
//   - SIGKILL to the group kills the reaper before it can report
//     ([ErrNoReport]); the caller still has the wait status and wall time.
//     Killing only the reaper orphans the payload: signal the group.
//   - The reaper costs one Python start (~10-20 ms) and ~8 MiB per run.
package bench
