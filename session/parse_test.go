package session

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRequirementName(t *testing.T) {
	t.Parallel()
	tests := []struct{ req, name string }{
		{"pandas", "pandas"},
		{"pandas>=2", "pandas"},
		{"  Flask_SQLAlchemy [async] ~= 3.1 ; python_version >= '3.8'", "Flask_SQLAlchemy"},
		{"zope.interface==6.0", "zope.interface"},
		{"requests[socks]", "requests"},
		{"pkg @ https://example.com/pkg-1.0.tar.gz", "pkg"},
		{"https://example.com/pkg-1.0.tar.gz", ""},
		{"git+https://github.com/o/r@main", ""},
		{"./local/dir", ""},
		{"/abs/wheel.whl", ""},
		{"==1.0", ""},
	}
	for _, tc := range tests {
		t.Run(tc.req, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.name, requirementName(tc.req))
		})
	}
}

func TestNormName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Flask_SQLAlchemy": "flask-sqlalchemy", "zope.interface": "zope-interface", "a--_.b": "a-b"} {
		require.Equal(t, want, normName(in))
	}
}

func TestParseChanges(t *testing.T) {
	t.Parallel()
	log := `Using Python 3.11.7 environment at: /tmp/v
Resolved 3 packages in 10ms
Uninstalled 1 package in 1ms
Installed 2 packages in 5ms
 - six==1.16.0
 + six==1.17.0
 + numpy==2.1.3
 ~ local-pkg==0.1.0 (from file:///tmp/local)
 + name-only
`
	installed, removed := parseChanges(log)
	require.Equal(t, []Package{{Name: "six", Version: "1.17.0"}, {Name: "numpy", Version: "2.1.3"}, {Name: "local-pkg", Version: "0.1.0"}}, installed)
	require.Equal(t, []Package{{Name: "six", Version: "1.16.0"}, {Name: "local-pkg", Version: "0.1.0"}}, removed)
}

func TestParseFreeze(t *testing.T) {
	t.Parallel()
	got := parseFreeze("Six==1.17.0\nzope.interface==6.0\nlocal @ file:///x\n\n")
	require.Equal(t, map[string]Package{
		"six":            {Name: "Six", Version: "1.17.0"},
		"zope-interface": {Name: "zope.interface", Version: "6.0"},
	}, got)
}

func TestValidateRequirements(t *testing.T) {
	t.Parallel()
	require.NoError(t, validateRequirements([]string{"six", "numpy>=2; python_version >= '3.9'", "pkg @ https://x/y.whl"}))
	for _, bad := range []string{"", "  ", "-r requirements.txt", "--extra-index-url=x", " -e .", "a\nb", strings.Repeat("a", 1001)} {
		require.ErrorIs(t, validateRequirements([]string{bad}), ErrInvalidRequirement, "%q", bad)
	}
}

func TestCapText(t *testing.T) {
	t.Parallel()
	require.Equal(t, "short", capText("short", 10))
	got := capText(strings.Repeat("a", 10)+strings.Repeat("b", 10), 10)
	require.Equal(t, "aaaaa\n… 10 bytes omitted (bytes 5–15) …\nbbbbb", got)
}

// FuzzRequirementName checks that names extracted from arbitrary input are
// prefixes of it (trimmed) and made of name characters only.
func FuzzRequirementName(f *testing.F) {
	for _, s := range []string{"pandas>=2", "pkg @ https://x", "git+https://x@y", " a.b-c_d[e]", "", "-r x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, req string) {
		name := requirementName(req)
		if name == "" {
			return
		}
		require.True(t, strings.HasPrefix(strings.TrimSpace(req), name))
		require.Equal(t, -1, strings.IndexFunc(name, func(r rune) bool {
			return !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		}))
	})
}

// FuzzParseChanges checks that uv logs never make the parsers panic and
// that every parsed package has a name and a version.
func FuzzParseChanges(f *testing.F) {
	f.Add(" + six==1.17.0\n - six==1.16.0\n ~ x==1 (from file:///x)\n")
	f.Add("Six==1.0\nname @ file:///x\n")
	f.Fuzz(func(t *testing.T, log string) {
		installed, removed := parseChanges(log)
		for _, p := range append(installed, removed...) {
			require.NotEmpty(t, p.Name)
			require.NotEmpty(t, p.Version)
		}
		for k, p := range parseFreeze(log) {
			require.Equal(t, normName(p.Name), k)
			require.NotEmpty(t, p.Version)
		}
	})
}
