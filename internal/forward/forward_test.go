package forward

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEveryByteInOrder(t *testing.T) {
	t.Parallel()
	var got bytes.Buffer
	f := New(&got, 1<<20, false)
	var want strings.Builder
	for i := range 10000 {
		line := fmt.Sprintf("line %d\n", i)
		want.WriteString(line)
		_, _ = f.Write([]byte(line))
	}
	lost, err := f.Close()
	require.NoError(t, err)
	require.Zero(t, lost)
	require.Equal(t, want.String(), got.String())
}

// gate is a writer that blocks until released, then records.
type gate struct {
	entered chan struct{} // buffer 1: the first Write has begun
	release chan struct{}
	got     bytes.Buffer
}

func (g *gate) Write(p []byte) (int, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.release
	return g.got.Write(p)
}

// TestSlowWriterDrops: a writer that does not keep up never blocks Write;
// what does not fit is counted and told in-band.
func TestSlowWriterDrops(t *testing.T) {
	t.Parallel()
	g := &gate{entered: make(chan struct{}, 1), release: make(chan struct{})}
	f := New(g, 10, false)
	_, _ = f.Write([]byte("first"))
	<-g.entered // the loop holds "first"; the queue is empty
	_, _ = f.Write([]byte("0123456789"))
	_, _ = f.Write([]byte("dropped")) // over the bound of 10
	close(g.release)
	lost, err := f.Close()
	require.NoError(t, err)
	require.Equal(t, int64(7), lost)
	require.Equal(t, "first0123456789\n[pyexec: 7 bytes not delivered to this writer: it was too slow]\n", g.got.String())
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterErrorStopsDelivery(t *testing.T) {
	t.Parallel()
	f := New(failing{}, 1<<10, true)
	_, _ = f.Write([]byte("a"))
	_, err := f.Close()
	require.EqualError(t, err, "disk full")
}
