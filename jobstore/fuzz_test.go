package jobstore

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzValidID(f *testing.F) {
	for _, s := range []string{"0123456789abcdef", "../../etc/passwd", "0123456789ABCDEF", "", "0123456789abcde/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !ValidID(id) {
			return
		}
		// A valid id is a plain file name: it cannot leave the directory.
		require.Equal(t, id, filepath.Base(id))
		require.False(t, strings.ContainsAny(id, "./\\\x00"))
		require.Less(t, stripeOf(id), numStripes)
		require.GreaterOrEqual(t, stripeOf(id), 0)
	})
}

func FuzzParseJournalLine(f *testing.F) {
	f.Add([]byte("0123456789abcdef 0badf00d\n"))
	f.Add([]byte("0123456789abcdef 0badf00d"))
	f.Add([]byte("../../../../etc/ 0badf00d\n"))
	f.Fuzz(func(t *testing.T, line []byte) {
		id, tag, ok := parseJournalLine(line)
		if ok {
			require.True(t, ValidID(id))
			require.Len(t, tag, 8)
		}
	})
}

func FuzzParseJournalHeader(f *testing.F) {
	f.Add([]byte(journalMagic + "00000000000000ff\n"))
	f.Fuzz(func(t *testing.T, hdr []byte) {
		_, _ = parseJournalHeader(hdr)
	})
}
