package envload

import (
	"bytes"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/joho/godotenv"
	"github.com/stretchr/testify/require"
)

var sentinels = []error{ErrFileNotFound, ErrFileUnreadable, ErrFileNotRegular, ErrFileTooLarge, ErrSyntax, ErrEmptyKey, ErrInvalidKey, ErrInvalidValue}

func FuzzParseBuild(f *testing.F) {
	for _, seed := range []string{
		"A=1\nB=2\n", "export A='x'\n", "A=\"l1\nl2\"", "A=${HOME}/x\nB=$A", "# c\n\nA: 1 # c\n",
		"=x", "FOO", "A='unterminated", "A-B=1", "export ", "A=\x00", "A=${X}${X}$X", "PATH=${PATH}:/x",
		"A=\\${HOME}", "A=\"\\\"\"", "A=1\r\nB=2", "\xff=1", "A=\"$HOME\" B=2",
	} {
		f.Add([]byte(seed))
	}
	base := []string{"HOME=/home/u", "PATH=/bin:/usr/bin", "X=$Y\"'\\n", "A=base"}
	f.Fuzz(func(t *testing.T, src []byte) {
		// Without a base, Parse is exactly godotenv plus validation.
		plain, err := Parse(bytes.NewReader(src))
		if err != nil {
			requireSentinel(t, err)
		} else {
			want, gerr := godotenv.UnmarshalBytes(src)
			require.NoError(t, gerr)
			require.Equal(t, want, plain)
		}

		env, err := build(base, src, "fuzz.env", map[string]string{"V": "v"}, []string{"A"})
		if err != nil {
			requireSentinel(t, err)
			return
		}
		keys := make([]string, 0, len(env))
		for _, kv := range env {
			k, v, ok := strings.Cut(kv, "=")
			require.True(t, ok, kv)
			require.NotEmpty(t, k)
			require.NotContains(t, k, "\x00")
			require.NotContains(t, v, "\x00")
			keys = append(keys, k)
		}
		require.True(t, sort.StringsAreSorted(keys), "sorted")
		for i := 1; i < len(keys); i++ {
			require.NotEqual(t, keys[i-1], keys[i], "unique")
		}
		require.Contains(t, env, "V=v")
		require.NotContains(t, keys, "A")
		if plain != nil {
			// The base layer only changes values, never which keys the file defines.
			for k := range plain {
				if k != "A" && k != "V" {
					require.Contains(t, keys, k)
				}
			}
		}
	})
}

func requireSentinel(t *testing.T, err error) {
	t.Helper()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error wraps no sentinel: %v", err)
}
