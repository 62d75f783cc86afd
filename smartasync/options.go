package smartasync

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	// DefaultBudget is how long a call waits for its work before handing it
	// to a background job (the spec's 20 s).
	DefaultBudget = 20 * time.Second

	// DefaultProgressInterval is the minimum time between two progress writes
	// of one job to the Store. The last value is always written when the job
	// finishes.
	DefaultProgressInterval = 250 * time.Millisecond

	// BudgetEnv is the environment variable the example servers read the
	// budget from, in seconds; parse it with ParseBudget. The library itself
	// never reads the environment.
	BudgetEnv = "SMART_ASYNC_TIMEOUT_SECONDS"
)

// Options configures a Runner. A nil *Options is invalid because Store is
// required; every other zero field means its default.
type Options struct {
	// Store records the jobs. Required.
	Store Store

	// Budget is how long Call waits for the work before returning a job id
	// instead of the value. 0 means DefaultBudget; negative is invalid.
	Budget time.Duration

	// ProgressInterval throttles the progress written to the Store: at most
	// one write per interval per job, and the last value is flushed when the
	// job finishes. 0 means DefaultProgressInterval; negative is invalid.
	ProgressInterval time.Duration

	// MaxConcurrent bounds how many work functions run at once, whether a
	// call waits for them or not. Further jobs stay "pending" until a slot is
	// free (a waiting call's budget keeps running meanwhile). 0 means no
	// limit; negative is invalid.
	MaxConcurrent int

	// Logger receives the Store errors that happen after a call has started
	// (progress, finish, discard), which have no caller to return to. nil
	// discards them, as the MCP SDK does with its own Logger option.
	Logger *slog.Logger
}

// config is Options with the defaults applied; it is built in one place,
// (*Options).config.
type config struct {
	store         Store
	budget        time.Duration
	progressEvery time.Duration
	maxConcurrent int
	logger        *slog.Logger
}

func (o *Options) config() (config, error) {
	if o == nil || o.Store == nil {
		return config{}, fmt.Errorf("%w: Store is nil; pass the job store (for example a *jobstore.Store)", ErrInvalidOptions)
	}
	c := config{
		store:         o.Store,
		budget:        o.Budget,
		progressEvery: o.ProgressInterval,
		maxConcurrent: o.MaxConcurrent,
		logger:        o.Logger,
	}
	switch {
	case c.budget < 0:
		return config{}, fmt.Errorf("%w: Budget %v is negative; use 0 for the default (%v)", ErrInvalidOptions, c.budget, DefaultBudget)
	case c.budget == 0:
		c.budget = DefaultBudget
	}
	switch {
	case c.progressEvery < 0:
		return config{}, fmt.Errorf("%w: ProgressInterval %v is negative; use 0 for the default (%v)", ErrInvalidOptions, c.progressEvery, DefaultProgressInterval)
	case c.progressEvery == 0:
		c.progressEvery = DefaultProgressInterval
	}
	if c.maxConcurrent < 0 {
		return config{}, fmt.Errorf("%w: MaxConcurrent %d is negative; use 0 for no limit", ErrInvalidOptions, c.maxConcurrent)
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// maxBudgetSeconds keeps a parsed budget within time.Duration's range.
const maxBudgetSeconds = float64(math.MaxInt64 / int64(time.Second))

// ParseBudget parses a budget as written in BudgetEnv: a positive number of
// seconds ("20", "2.5") or a Go duration ("1m30s"). Surrounding spaces are
// ignored and the empty string means DefaultBudget. Zero, negative and
// non-finite values are errors (use async mode to skip the wait).
func ParseBudget(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultBudget, nil
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(secs) || secs > maxBudgetSeconds || secs < -maxBudgetSeconds {
			return 0, fmt.Errorf("%w: budget %q is out of range; give seconds, e.g. \"20\"", ErrInvalidOptions, s)
		}
		d = time.Duration(secs * float64(time.Second))
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("%w: budget %q is neither seconds (\"20\", \"2.5\") nor a duration (\"1m30s\")", ErrInvalidOptions, s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%w: budget %q must be positive; use async mode to return a job at once", ErrInvalidOptions, s)
	}
	return d, nil
}
