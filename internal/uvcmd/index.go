package uvcmd

import (
	"regexp"
	"strings"
)

// DefaultIndexURL is the index uv uses when no setting names another.
const DefaultIndexURL = "https://pypi.org/simple"

// unreachableCauses are what uv 0.13 says when it cannot talk to a URL at
// all, as opposed to an index that answered without the package. Each has a
// space, so no package name or URL in the message (uv quotes both) can
// contain one.
var unreachableCauses = []string{
	"error sending request for url", // reqwest: every connect, DNS and TLS failure
	"tcp connect error",
	"connection refused",
	"connection reset",
	"connection closed before message completed",
	"dns error",
	"failed to lookup address",
	"temporary failure in name resolution",
	"name or service not known",
	"network is unreachable",
	"no route to host",
	"operation timed out",
	"network timeout",
	"invalid peer certificate",
	"http status server error", // 5xx: the index is down
	"because the network was disabled",
	"network connectivity is disabled",
}

// urlRe finds a URL in uv's message; uv ends one with a space, a newline,
// ')' or '`'.
var urlRe = regexp.MustCompile("https?://[^\\s)`'\"]+")

// Unreachable reports whether message, a failed uv's explanation, says uv
// could not reach a URL (connection refused or reset, a host name that does
// not resolve, a timeout, TLS, a server error of the index, the network
// disabled by --offline) rather than that the index has no such package or
// version. url is the first URL it names ("" if none, as with --offline);
// cause is its last line without uv's "cause:" or "hint:", e.g.
// "Connection refused (os error 111)". uv has no exit status for this (2
// is every error), so its words decide.
func Unreachable(message string) (url, cause string, ok bool) {
	lower := strings.ToLower(message)
	for _, c := range unreachableCauses {
		if strings.Contains(lower, c) {
			cause = lastLine(message)
			for _, p := range []string{"cause:", "hint:", "error:"} {
				cause = strings.TrimSpace(strings.TrimPrefix(cause, p))
			}
			return urlRe.FindString(message), cause, true
		}
	}
	return "", "", false
}

// Offline reports whether uv ran with its network disabled: --offline in
// args or UV_OFFLINE in env (args win, as in uv).
func Offline(args, env []string) bool {
	for _, a := range args {
		if a == "--offline" {
			return true
		}
	}
	v, _ := lookup(env, "UV_OFFLINE")
	return v == "1" || strings.EqualFold(v, "true")
}

// IndexURLs returns the package indexes and find-links locations uv uses
// with args and env, those of args first (uv lets a flag override its
// variable): --index-url (-i), --default-index, --index, --extra-index-url
// and --find-links (-f), then UV_INDEX_URL, UV_DEFAULT_INDEX, UV_INDEX,
// UV_EXTRA_INDEX_URL and UV_FIND_LINKS. DefaultIndexURL is last unless
// --no-index, UV_NO_INDEX or a default index replaces it. A "name=url"
// entry of --index gives its url.
func IndexURLs(args, env []string) []string {
	var urls []string
	defaultSet, noIndex := false, false
	flags := map[string]bool{"--index-url": true, "-i": true, "--default-index": true}
	others := map[string]bool{"--index": true, "--extra-index-url": true, "--find-links": true, "-f": true}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		if name == "--no-index" {
			noIndex = true
			continue
		}
		if !flags[name] && !others[name] {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				break
			}
			i++
			value = args[i]
		}
		defaultSet = defaultSet || flags[name]
		urls = append(urls, indexValue(value)...)
	}
	for _, name := range []string{"UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS"} {
		if v, ok := lookup(env, name); ok && v != "" {
			defaultSet = defaultSet || name == "UV_INDEX_URL" || name == "UV_DEFAULT_INDEX"
			urls = append(urls, indexValue(v)...)
		}
	}
	if v, _ := lookup(env, "UV_NO_INDEX"); v == "1" || strings.EqualFold(v, "true") {
		noIndex = true
	}
	if !defaultSet && !noIndex {
		urls = append(urls, DefaultIndexURL)
	}
	return urls
}

// indexValue splits a setting that may list several locations (UV_INDEX
// and UV_EXTRA_INDEX_URL are space-separated) and drops the "name=" of a
// named index.
func indexValue(v string) []string {
	var out []string
	for _, f := range strings.Fields(v) {
		if name, url, ok := strings.Cut(f, "="); ok && !strings.Contains(name, "/") {
			f = url
		}
		out = append(out, f)
	}
	return out
}

// IndexOf returns the entry of indexes that url lies under ("" if none):
// the index uv was reading when it failed to fetch url.
func IndexOf(url string, indexes []string) string {
	best := ""
	for _, ix := range indexes {
		base := strings.TrimRight(ix, "/")
		if (url == base || strings.HasPrefix(url, base+"/")) && len(base) > len(best) {
			best = base
		}
	}
	return best
}

func lookup(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- { // the last one wins, as in exec
		if n, v, ok := strings.Cut(env[i], "="); ok && n == name {
			return v, true
		}
	}
	return "", false
}
