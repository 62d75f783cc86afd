package envload

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

// writeEnv writes content to a fresh .env file and returns its path.
func writeEnv(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(testenv.TempDir(t), ".env")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestBuildLayers(t *testing.T) {
	t.Parallel()
	file := writeEnv(t, "B=file\nC=file\nD=file\n")
	tests := []struct {
		name string
		opts *Options
		want []string
	}{
		{"base only", &Options{Base: []string{"B=1", "A=0"}}, []string{"A=0", "B=1"}},
		{"empty base", &Options{Base: []string{}}, []string{}},
		{"base duplicates last wins", &Options{Base: []string{"A=1", "B=x", "A=2"}}, []string{"A=2", "B=x"}},
		{"malformed base entries dropped", &Options{Base: []string{"NOEQ", "=x", "A=1=2", "E="}}, []string{"A=1=2", "E="}},
		{"base < file", &Options{Base: []string{"A=base", "B=base"}, File: file},
			[]string{"A=base", "B=file", "C=file", "D=file"}},
		{"file < vars", &Options{Base: []string{"A=base"}, File: file, Vars: map[string]string{"C": "vars", "A": "vars"}},
			[]string{"A=vars", "B=file", "C=vars", "D=file"}},
		{"unset last", &Options{Base: []string{"A=base", "Z=z"}, File: file, Vars: map[string]string{"C": "vars"},
			Unset: []string{"A", "C", "D", "MISSING"}},
			[]string{"B=file", "Z=z"}},
		{"vars are literal", &Options{Base: []string{"HOME=/h"}, Vars: map[string]string{"X": "${HOME}"}},
			[]string{"HOME=/h", "X=${HOME}"}},
		{"empty value kept", &Options{Base: []string{}, Vars: map[string]string{"E": ""}}, []string{"E="}},
		{"sorted by key not by pair", &Options{Base: []string{"A.B=1", "A=2", "A_B=3"}}, []string{"A=2", "A.B=1", "A_B=3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Build(tt.opts)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestBuildNilOptionsIsProcessEnv(t *testing.T) {
	t.Parallel()
	got, err := Build(nil)
	require.NoError(t, err)
	want := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			want[k] = v
		}
	}
	require.Len(t, got, len(want))
	require.True(t, sort.StringsAreSorted(keysOf(got)))
	for _, kv := range got {
		k, v, _ := strings.Cut(kv, "=")
		require.Equal(t, want[k], v, k)
	}
}

func keysOf(env []string) []string {
	keys := make([]string, len(env))
	for i, kv := range env {
		keys[i], _, _ = strings.Cut(kv, "=")
	}
	return keys
}

func TestBuildFileSyntax(t *testing.T) {
	t.Parallel()
	base := []string{"HOME=/home/u", "PATH=/usr/bin", "TRICKY=a$B\"c\\n'd\n"}
	tests := []struct {
		name, file string
		want       map[string]string // subset of the result
	}{
		{"comments and blanks", "# comment\n\nA=1\n  # indented comment\nB=2 # trailing\n", map[string]string{"A": "1", "B": "2"}},
		{"export prefix", "export A=1\nexport  B=2\n", map[string]string{"A": "1", "B": "2"}},
		{"yaml style", "A: 1\n", map[string]string{"A": "1"}},
		{"single quotes literal", `A='x ${HOME} \n # y'`, map[string]string{"A": `x ${HOME} \n # y`}},
		{"double quotes escapes", `A="l1\nl2 \"q\" x"`, map[string]string{"A": "l1\nl2 \"q\" x"}},
		{"double quoted multiline", "A=\"line1\nline2\"\nB=3", map[string]string{"A": "line1\nline2", "B": "3"}},
		{"single quoted multiline", "A='line1\nline2'\n", map[string]string{"A": "line1\nline2"}},
		{"crlf line ends", "A=1\r\nB=2\r\n", map[string]string{"A": "1", "B": "2"}},
		{"expands base", "A=${HOME}/x\nB=$PATH:/opt\n", map[string]string{"A": "/home/u/x", "B": "/usr/bin:/opt"}},
		{"expands base in double quotes", `A="${HOME} x"`, map[string]string{"A": "/home/u x"}},
		{"earlier file key shadows base", "HOME=/other\nA=${HOME}\n", map[string]string{"HOME": "/other", "A": "/other"}},
		{"base seen before file redefines", "A=${HOME}\nHOME=/other\n", map[string]string{"HOME": "/other", "A": "/home/u"}},
		{"self reference appends", "PATH=${PATH}:/opt/bin\n", map[string]string{"PATH": "/usr/bin:/opt/bin"}},
		{"chained through file key", "A=${HOME}\nB=${A}/sub\n", map[string]string{"B": "/home/u/sub"}},
		{"base value inserted verbatim", "A=${TRICKY}\nB=\"${TRICKY}\"\n", map[string]string{"A": "a$B\"c\\n'd\n", "B": "a$B\"c\\n'd\n"}},
		{"unknown expands empty", "A=x${NOPE}y\n", map[string]string{"A": "xy"}},
		{"escaped dollar", `A=\${HOME}`, map[string]string{"A": "${HOME}"}},
		{"lower case not expanded", "A=${home}\n", map[string]string{"A": "${home}"}},
		{"no trailing newline", "A=1", map[string]string{"A": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Build(&Options{Base: base, File: writeEnv(t, tt.file)})
			require.NoError(t, err)
			m := map[string]string{}
			for _, kv := range got {
				k, v, _ := strings.Cut(kv, "=")
				m[k] = v
			}
			for k, v := range tt.want {
				require.Contains(t, m, k)
				require.Equal(t, v, m[k], k)
			}
		})
	}
}

func TestParseSeesOnlyTheFile(t *testing.T) {
	t.Parallel()
	// os.Getenv("HOME") is set in any test run; Parse must not see it.
	got, err := Parse(strings.NewReader("A=${HOME}\nB=1\nC=${B}\n"))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"A": "", "B": "1", "C": "1"}, got)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	dir := testenv.TempDir(t)
	tests := []struct {
		name    string
		opts    *Options
		want    error
		message string // substring of the message
	}{
		{"missing file", &Options{Base: []string{}, File: filepath.Join(dir, "nope.env")}, ErrFileNotFound,
			`env file ` + strconv.Quote(filepath.Join(dir, "nope.env")) + ` does not exist`},
		{"directory as file", &Options{Base: []string{}, File: dir}, ErrFileNotRegular, `env file ` + strconv.Quote(dir) + ` is a directory, not a regular file`},
		{"bad char in name", &Options{Base: []string{}, File: writeEnv(t, "A=1\n# c\nMY-KEY=2\n")}, ErrSyntax,
			`line 3: unexpected "-" in a variable name`},
		{"line without equals", &Options{Base: []string{}, File: writeEnv(t, "A=1\nJUSTANAME\nB=2\n")}, ErrSyntax,
			`line 2: line has no '=' or ':'`},
		{"unterminated quote", &Options{Base: []string{}, File: writeEnv(t, "A=1\nSECRET=\"s3cr3t\nB=2\n")}, ErrSyntax,
			`line 2: the value of SECRET opens a " quote that is never closed`},
		{"export alone", &Options{Base: []string{}, File: writeEnv(t, "A=1\nexport  ")}, ErrSyntax,
			`line 2: "export" without a variable name`},
		{"nul in file", &Options{Base: []string{}, File: writeEnv(t, "A=1\nB=\x00\n")}, ErrSyntax, "line 2: contains a NUL byte"},
		{"empty name in file", &Options{Base: []string{}, File: writeEnv(t, "A=1\n=2\n")}, ErrEmptyKey, "line 2: empty variable name"},
		{"trailing bare name", &Options{Base: []string{}, File: writeEnv(t, "A=1\nLAST")}, ErrEmptyKey, "line 2: empty variable name"},
		{"empty vars key", &Options{Base: []string{}, Vars: map[string]string{"": "x"}}, ErrEmptyKey, "the variable map has an empty variable name"},
		{"vars key with equals", &Options{Base: []string{}, Vars: map[string]string{"A=B": "x"}}, ErrInvalidKey,
			`envload: the variable map key "A=B" contains '='; keys may not contain '=' or NUL`},
		{"vars key with nul", &Options{Base: []string{}, Vars: map[string]string{"A\x00": "x"}}, ErrInvalidKey,
			`the variable map key "A\x00" contains NUL`},
		{"vars value with nul", &Options{Base: []string{}, Vars: map[string]string{"A": "x\x00y"}}, ErrInvalidValue,
			`the variable map value of "A" contains NUL`},
		{"base key with nul", &Options{Base: []string{"A\x00B=1"}}, ErrInvalidKey, `base environment key "A\x00B" contains NUL`},
		{"base value with nul", &Options{Base: []string{"A=1\x002"}}, ErrInvalidValue, `base environment value of "A" contains NUL`},
		{"unset key with equals", &Options{Base: []string{}, Unset: []string{"A=1"}}, ErrInvalidKey, `unset key "A=1" contains '='`},
		{"empty unset key", &Options{Base: []string{}, Unset: []string{""}}, ErrEmptyKey, "unset has an empty variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Build(tt.opts)
			require.Nil(t, got)
			require.ErrorIs(t, err, tt.want)
			require.Contains(t, err.Error(), tt.message)
			require.True(t, strings.HasPrefix(err.Error(), "envload: "), err.Error())
			require.NotContains(t, err.Error(), "s3cr3t", "messages must not quote values")
		})
	}
}

func TestErrorsKeepCause(t *testing.T) {
	t.Parallel()
	_, err := ParseFile(filepath.Join(testenv.TempDir(t), "missing"))
	require.ErrorIs(t, err, ErrFileNotFound)
	require.ErrorIs(t, err, fs.ErrNotExist)
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseReaderError(t *testing.T) {
	t.Parallel()
	_, err := Parse(failingReader{})
	require.ErrorIs(t, err, ErrFileUnreadable)
	require.Contains(t, err.Error(), "disk on fire")
}

func TestParseFile(t *testing.T) {
	t.Parallel()
	got, err := ParseFile(writeEnv(t, "export A=1\nB='two words'\n"))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"A": "1", "B": "two words"}, got)

	_, err = ParseFile(writeEnv(t, "A=1\nB C D\n"))
	require.ErrorIs(t, err, ErrSyntax)
	require.Contains(t, err.Error(), ".env\" line 2:")
}

func TestSubstituteMalformedPlaceholder(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"none", "abc", "abc"},
		{"one", "a\x000\x00b", "aXb"},
		{"two", "\x001\x00\x000\x00", "YX"},
		{"unterminated", "a\x000", "a\x000"},
		{"out of range", "a\x009\x00", "a\x009\x00"},
		{"not a number", "a\x00z\x00", "a\x00z\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, substitute(tt.in, []string{"X", "Y"}))
		})
	}
}
