package pyexec

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// unixOnly are the names of package syscall that Windows does not have and
// that pyexec's Unix code uses: a file that names one must not be compiled
// for Windows (issue 14: a Go MCP server for Windows must be able to import
// pyexec). golang.org/x/sys/unix is Unix-only as a whole.
var unixOnly = map[string]bool{
	"Kill": true, "Flock": true, "Setpgid": true, "Wait4": true,
	"Getpgrp": true, "Mkfifo": true, "Stat_t": true,
}

// unixOnlyUses lists what src uses that exists on Unix only: an import of
// golang.org/x/sys/unix, syscall.X for X in unixOnly, and the Setpgid field
// of a SysProcAttr (set as cmd.SysProcAttr.Setpgid or in a literal).
func unixOnlyUses(t *testing.T, name string, src any) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.SkipObjectResolution)
	require.NoError(t, err)
	var uses []string
	syscallName := ""
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		switch path {
		case "golang.org/x/sys/unix":
			uses = append(uses, "import golang.org/x/sys/unix")
		case "syscall":
			syscallName = "syscall"
			if im.Name != nil {
				syscallName = im.Name.Name
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && syscallName != "" && x.Name == syscallName && unixOnly[n.Sel.Name] {
				uses = append(uses, "syscall."+n.Sel.Name)
			} else if n.Sel.Name == "Setpgid" {
				uses = append(uses, ".Setpgid")
			}
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Setpgid" {
				uses = append(uses, "Setpgid:")
			}
		}
		return true
	})
	return uses
}

// windowsContext is the build context of a windows/amd64 build: its
// MatchFile applies both file-name suffixes and //go:build lines.
func windowsContext() *build.Context {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH = "windows", "amd64"
	ctx.CgoEnabled = false
	return &ctx
}

// TestUnixOnlyFilesAreTagged: every file (tests included: go vet compiles
// them) that uses a Unix-only API is left out of Windows builds by its
// name (_linux, _darwin, …) or its //go:build line. The cross builds of
// scripts/test.sh catch the same, but this names the file and the rule.
func TestUnixOnlyFilesAreTagged(t *testing.T) {
	t.Parallel()
	wctx := windowsContext()
	var bad []string
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		uses := unixOnlyUses(t, path, nil)
		if len(uses) == 0 {
			return nil
		}
		checked++
		match, err := wctx.MatchFile(filepath.Dir(path), filepath.Base(path))
		require.NoError(t, err)
		if match {
			bad = append(bad, path+" ("+strings.Join(uses, ", ")+")")
		}
		return nil
	})
	require.NoError(t, err)
	sort.Strings(bad)
	require.Empty(t, bad, "these files use Unix-only APIs but are compiled for Windows: add //go:build unix (or linux) or a _linux/_darwin name, or use internal/proc and internal/filelock")
	require.Greater(t, checked, 10, "the Unix-only files were found")
}

// TestUnixOnlyUses: the check itself finds each kind of use and ignores
// a portable file.
func TestUnixOnlyUses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"portable", `package p; import "syscall"; var s = syscall.SIGKILL`, nil},
		{"x/sys/unix", `package p; import "golang.org/x/sys/unix"; var _ = unix.Getpid`, []string{"import golang.org/x/sys/unix"}},
		{"kill", `package p; import "syscall"; func f() { syscall.Kill(1, 9) }`, []string{"syscall.Kill"}},
		{"renamed", `package p; import sc "syscall"; func f() { sc.Flock(1, 2) }`, []string{"syscall.Flock"}},
		{"literal", `package p; import "syscall"; var a = &syscall.SysProcAttr{Setpgid: true}`, []string{"Setpgid:"}},
		{"field", `package p; import "os/exec"; func f(c *exec.Cmd) { c.SysProcAttr.Setpgid = true }`, []string{".Setpgid"}},
		{"wait4", `package p; import "syscall"; func f() { syscall.Wait4(1, nil, 0, nil) }`, []string{"syscall.Wait4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, unixOnlyUses(t, tc.name+".go", tc.src))
		})
	}
	// And the Windows build context leaves out what it must.
	wctx := windowsContext()
	wctx.OpenFile = func(path string) (io.ReadCloser, error) {
		src := "package p\n"
		if strings.Contains(path, "tagged") {
			src = "//go:build unix\n\npackage p\n"
		}
		return io.NopCloser(strings.NewReader(src)), nil
	}
	for name, want := range map[string]bool{
		"x_linux.go": false, "x_darwin_test.go": false, "tagged.go": false, "tagged_test.go": false,
		"x_windows.go": true, "x.go": true, "x_unix.go": true, // _unix is no GOOS: it needs the tag
	} {
		got, err := wctx.MatchFile("dir", name)
		require.NoError(t, err, name)
		require.Equal(t, want, got, name)
	}
}
