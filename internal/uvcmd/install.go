package uvcmd

import (
	"fmt"
	"sort"
	"strings"
)

// NoBuildArg makes uv resolve and install from pre-built wheels only: no
// source distribution is built, so no package's build code runs (uv still
// reuses wheels it built earlier and cached).
const NoBuildArg = "--no-build"

// The rules a RefusedError names, and the option that lifts each.
const (
	RuleDirectReference = "direct-reference" // lifted by AllowDirectReferences
	RuleSourceBuild     = "source-build"     // lifted by AllowSourceBuilds
)

// RefusedError is a requirement a confined install does not take. Option
// is the Go option (of executor.Options and session.Options) that lifts the
// rule; a tool layer maps it to its own flag name.
type RefusedError struct {
	Requirement string
	Rule        string // RuleDirectReference or RuleSourceBuild
	Option      string // "AllowDirectReferences" or "AllowSourceBuilds"
	Detail      string // what uv said, for RuleSourceBuild
}

func (e *RefusedError) Error() string {
	switch e.Rule {
	case RuleDirectReference:
		return fmt.Sprintf("requirement %q is a direct reference (a URL, path or VCS address instead of a version from the package index): confined runs install only from the configured index, because a direct reference can bring any build code; %s allows direct references", e.Requirement, e.Option)
	default:
		msg := "confined runs install pre-built wheels only, because building a source distribution runs the package's own code"
		if e.Requirement != "" {
			msg = fmt.Sprintf("%s needs building from source, but %s", e.Requirement, msg)
		}
		msg += "; " + e.Option + " allows builds, which then run inside the same sandbox as the script"
		if e.Detail != "" {
			msg += " (uv: " + e.Detail + ")"
		}
		return msg
	}
}

// archiveSuffixes are file names uv reads as a local archive or wheel when
// a requirement has no name of its own.
var archiveSuffixes = []string{".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"}

// DirectReference reports whether r names its distribution by location
// rather than by a version on the index: "name @ url" (https, file, VCS),
// or a bare file or directory name that uv would read as a local path
// ("evil-1.0-py3-none-any.whl", "pkg.tar.gz"). r must have passed
// CheckRequirement.
func DirectReference(r string) bool {
	t := strings.TrimSpace(r)
	name := nameRe.FindString(t)
	rest := strings.TrimSpace(t[len(name):])
	if strings.HasPrefix(rest, "[") {
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			rest = strings.TrimSpace(rest[i+1:])
		}
	}
	if strings.HasPrefix(rest, "@") {
		return true
	}
	lower := strings.ToLower(name)
	for _, s := range archiveSuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}

// CheckConfined returns a *RefusedError for the first of reqs a confined
// install must not take unless allowDirect: a direct reference. uv pip
// compile writes direct references of a resolution as "name @ url", so the
// same check applies to resolved pins.
func CheckConfined(reqs []string, allowDirect bool) error {
	if allowDirect {
		return nil
	}
	for _, r := range reqs {
		if DirectReference(r) {
			return &RefusedError{Requirement: strings.TrimSpace(r), Rule: RuleDirectReference, Option: "AllowDirectReferences"}
		}
	}
	return nil
}

// BuildRefused turns uv's refusal to build under NoBuildArg into a
// *RefusedError naming the distribution when uv's message does; it returns
// nil when message is about something else.
func BuildRefused(message string) error {
	lower := strings.ToLower(message)
	if !strings.Contains(lower, "building from source is disabled") &&
		!strings.Contains(lower, "building source distributions is disabled") &&
		!strings.Contains(lower, "has no usable wheels") {
		return nil
	}
	e := &RefusedError{Rule: RuleSourceBuild, Option: "AllowSourceBuilds", Detail: lastLine(message)}
	// uv 0.13: "hint: Wheels are required for `evil` because building from
	// source is disabled …" (a resolution), "Building source distributions
	// is disabled, but attempted to build `evil`" (a direct reference).
	for _, lead := range []string{"Wheels are required for `", "attempted to build `"} {
		if _, after, ok := strings.Cut(message, lead); ok {
			if name, _, ok := strings.Cut(after, "`"); ok {
				e.Requirement = name
				break
			}
		}
	}
	return e
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// SettingsKey is the part of env that decides what uv resolves and
// installs: every UV_* and PIP_* variable but progress output, sorted, one
// per line. Cache keys of environments and resolutions include it, so that
// a server whose index settings change never reuses what another index
// produced.
func SettingsKey(env []string) string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if (strings.HasPrefix(name, "UV_") || strings.HasPrefix(name, "PIP_")) && name != "UV_NO_PROGRESS" {
			out = append(out, kv)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
