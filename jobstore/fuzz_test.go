package jobstore

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("1234 (python3) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615\n"))
	f.Add([]byte("77 (a) b) c) Z 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0 0"))
	f.Add([]byte("5 ((sd-pam)) S"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseProcStat(b)
		if err != nil {
			return
		}
		require.NotZero(t, p.state)
	})
}

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		in    string
		want  procInfo
		isErr bool
	}{
		{"plain", "1234 (python3) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 2 0 0 20 0 1 0 987654 1000", procInfo{'S', 1234, 987654}, false},
		{"parens and spaces in comm", "77 (a) b) c) Z 1 70 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0", procInfo{'Z', 70, 42}, false},
		{"truncated", "5 (x) S 1 2 3", procInfo{}, true},
		{"no comm", "garbage", procInfo{}, true},
		{"bad start", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 0", procInfo{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tc.in))
			if tc.isErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

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
