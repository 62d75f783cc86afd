package uvcmd

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUnreachable tells what uv 0.13 says when it cannot reach an index
// from what it says when the index has no such package or version.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, message, url, cause string
		ok                        bool
	}{
		{"connection refused", "error: Failed to fetch: http://127.0.0.1:1/simple/six/\n  cause: error sending request for url (http://127.0.0.1:1/simple/six/)\n  cause: client error (Connect)\n  cause: tcp connect error\n  cause: Connection refused (os error 111)",
			"http://127.0.0.1:1/simple/six/", "Connection refused (os error 111)", true},
		{"retries", "error: Request failed after 3 retries in 7.4s\n  cause: Failed to fetch: http://127.0.0.1:1/simple/requests/\n  cause: error sending request for url (http://127.0.0.1:1/simple/requests/)\n  cause: client error (Connect)\n  cause: tcp connect error\n  cause: Connection refused (os error 111)",
			"http://127.0.0.1:1/simple/requests/", "Connection refused (os error 111)", true},
		{"DNS", "error: Request failed after 3 retries in 12.3s\n  cause: Failed to fetch: http://nonexistent.invalid/simple/requests/\n  cause: error sending request for url (http://nonexistent.invalid/simple/requests/)\n  cause: client error (Connect)\n  cause: dns error\n  cause: error resolving DNS\n  cause: failed to lookup address information: Name or service not known",
			"http://nonexistent.invalid/simple/requests/", "failed to lookup address information: Name or service not known", true},
		{"index down", "error: Failed to fetch: http://127.0.0.1:38055/simple/six/\n  cause: HTTP status server error (503 Service Unavailable) for url (http://127.0.0.1:38055/simple/six/)",
			"http://127.0.0.1:38055/simple/six/", "HTTP status server error (503 Service Unavailable) for url (http://127.0.0.1:38055/simple/six/)", true},
		{"offline", "error: No solution found when resolving dependencies\n  cause: Because requests was not found in the cache and you require requests, we can conclude that your requirements are unsatisfiable.\n\nhint: Packages were unavailable because the network was disabled. When the network is disabled, registry packages may only be read from the cache.",
			"", "Packages were unavailable because the network was disabled. When the network is disabled, registry packages may only be read from the cache.", true},
		{"no such package", "error: No solution found when resolving dependencies\n  cause: Because nosuchpkg was not found in the package registry and you require nosuchpkg, we can conclude that your requirements are unsatisfiable.", "", "", false},
		{"a package named like a cause", "error: No solution found when resolving dependencies\n  cause: Because connection-refused was not found in the provided package locations and you require connection-refused, we can conclude that your requirements are unsatisfiable.", "", "", false},
		{"no such version", "error: No solution found when resolving dependencies\n  cause: Because only pyexecdemo<=2.0.0 is available and you require pyexecdemo>=3, we can conclude that your requirements are unsatisfiable.", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, cause, ok := Unreachable(tc.message)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.url, url)
			require.Equal(t, tc.cause, cause)
		})
	}
}

func TestIndexURLs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		args, env []string
		want      []string
	}{
		{"nothing: PyPI", nil, []string{"PATH=/bin"}, []string{DefaultIndexURL}},
		{"flags", []string{"--index-url", "http://a/simple", "--extra-index-url=http://b/simple", "-f", "/wheels"}, nil,
			[]string{"http://a/simple", "http://b/simple", "/wheels"}},
		{"variables", nil, []string{"UV_INDEX_URL=http://a/simple", "UV_INDEX=x=http://b/simple http://c/simple"},
			[]string{"http://a/simple", "http://b/simple", "http://c/simple"}},
		{"an extra index keeps PyPI", nil, []string{"UV_EXTRA_INDEX_URL=http://b/simple"}, []string{"http://b/simple", DefaultIndexURL}},
		{"no index", []string{"--offline", "--no-index", "--find-links", "/wheels"}, nil, []string{"/wheels"}},
		{"a flag without its value", []string{"--index-url"}, nil, []string{DefaultIndexURL}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, IndexURLs(tc.args, tc.env))
		})
	}
}

func TestIndexOf(t *testing.T) {
	t.Parallel()
	indexes := []string{"http://a/simple/", "http://a/simple/private", DefaultIndexURL}
	require.Equal(t, "http://a/simple", IndexOf("http://a/simple/six/", indexes))
	require.Equal(t, "http://a/simple/private", IndexOf("http://a/simple/private/six/", indexes), "the longest match")
	require.Equal(t, DefaultIndexURL, IndexOf("https://pypi.org/simple/six/", indexes))
	require.Empty(t, IndexOf("http://a/simplex/six/", indexes))
	require.Empty(t, IndexOf("", indexes))
}

func TestOffline(t *testing.T) {
	t.Parallel()
	require.True(t, Offline([]string{"--offline"}, nil))
	require.True(t, Offline(nil, []string{"UV_OFFLINE=1"}))
	require.True(t, Offline(nil, []string{"UV_OFFLINE=true"}))
	require.False(t, Offline(nil, []string{"UV_OFFLINE=0"}))
	require.False(t, Offline([]string{"--no-index"}, nil))
}
