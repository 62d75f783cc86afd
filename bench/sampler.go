package bench

import (
	"sync"
	"time"
)

// DefaultSampleInterval is the sampling period when SamplerOptions.Interval
// is 0: fine enough for runs of seconds. One sample reads the stat of every
// process on the host and the status of the group's members; ~1.2 ms with
// ~90 processes (see BenchmarkScanProc), so ~2.5 % of a core at this
// interval.
const DefaultSampleInterval = 50 * time.Millisecond

// MinSampleInterval is the shortest period honoured; shorter ones are raised
// to it so that a typo cannot turn the sampler into a busy loop.
const MinSampleInterval = 10 * time.Millisecond

// SamplerOptions configures [StartSampler]. A nil *SamplerOptions means
// defaults.
type SamplerOptions struct {
	// Interval between samples; 0 means DefaultSampleInterval.
	Interval time.Duration
	// Exclude lists pids not to count, such as the reaper (the group leader
	// when [NewReaper] is used): it is ~8 MiB of overhead, not the payload.
	Exclude []int
}

// SamplerResult is what a [Sampler] saw, in bytes.
type SamplerResult struct {
	// PeakGroupRSS is the largest sum of VmRSS over the group's members in
	// one sample.
	PeakGroupRSS int64
	// PeakHWM is the largest VmHWM (a process's own high-water mark) of any
	// member when sampled; it catches peaks between samples of processes
	// that were still alive at the next sample.
	PeakHWM int64
	// Samples is how many times the group was read (0 where unsupported).
	Samples int
	// MaxProcesses is the largest number of members seen in one sample.
	MaxProcesses int
}

// Sampler reads the memory of a process group periodically until stopped.
// Its goroutine is owned by the Sampler and joined by Stop. It is safe for
// concurrent use.
type Sampler struct {
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	res      SamplerResult // written by run only; read after done is closed
}

// StartSampler starts sampling the processes whose process group is pgid
// (with Setpgid, the leader's pid) at once and then every interval. The
// caller must call Stop. Call it right after Start: anything that exits
// before the first sample is not seen. A pgid that has no members yields
// samples of nothing.
func StartSampler(pgid int, opts *SamplerOptions) *Sampler {
	interval := DefaultSampleInterval
	exclude := map[int]bool{}
	if opts != nil {
		if opts.Interval != 0 {
			interval = max(opts.Interval, MinSampleInterval)
		}
		for _, pid := range opts.Exclude {
			exclude[pid] = true
		}
	}
	s := &Sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go s.run(pgid, interval, exclude)
	return s
}

func (s *Sampler) run(pgid int, interval time.Duration, exclude map[int]bool) {
	defer close(s.done)
	s.sample(pgid, exclude)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			s.sample(pgid, exclude) // a last look, in case the group is still alive
			return
		case <-t.C:
			s.sample(pgid, exclude)
		}
	}
}

func (s *Sampler) sample(pgid int, exclude map[int]bool) {
	if pgid <= 0 {
		return // 0 and negatives name no group in /proc
	}
	g, err := scan(pgid, exclude)
	if err != nil {
		return // /proc unavailable: nothing to learn, Samples tells
	}
	s.res.Samples++
	s.res.PeakGroupRSS = max(s.res.PeakGroupRSS, g.rss)
	s.res.PeakHWM = max(s.res.PeakHWM, g.hwm)
	s.res.MaxProcesses = max(s.res.MaxProcesses, g.members)
}

// Stop takes a last sample, stops the sampler, waits for its goroutine and
// returns what it saw. Later calls return the same result.
func (s *Sampler) Stop() SamplerResult {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
	return s.res
}
