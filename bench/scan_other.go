//go:build !linux

package bench

type groupScan struct {
	rss, hwm int64
	members  int
}

type scanner struct{}

func newScanner() *scanner { return &scanner{} }

// scan is unsupported without /proc: the sampler then records no samples.
func (*scanner) scan(int, map[int]bool) (groupScan, error) { return groupScan{}, ErrUnsupported }
