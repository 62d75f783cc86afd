package pyexec

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// TestDocSnippetsAreExamples keeps the code shown in the docs compiled
// (issue 11, deliverable 8; STYLE.md: "README snippets should be copies of
// compiled examples"): every ```go block of README.md and every code block
// of a package doc.go must be a copy of part of an Example function, so an
// API change that breaks a snippet breaks the build of its example first.
//
// The rule:
//
//   - Snippets are the ```go blocks of README.md (and of any other
//     markdown file of the module) and the code blocks of every
//     non-test doc.go outside internal/: runs of comment lines that start
//     with "//\t" (gofmt's form of a doc comment code block), with the
//     blank comment lines between them. Every such block is Go code; keep
//     shell commands and file formats in prose or in README blocks that are
//     not ```go. internal/ is left out: those packages are not importable,
//     their snippets sketch a mechanism for the maintainers (some of them,
//     such as killing cgroups, cannot run in an example), and go doc of the
//     module does not show them to users.
//   - Examples are the bodies of the Example… functions of every
//     example*_test.go file in the module (example_test.go, and
//     example_unix_test.go for examples that need a build constraint).
//   - A snippet matches an example when its lines, blank lines ignored and
//     trailing white space trimmed, equal a contiguous run of the example's
//     lines, up to indentation: the same number of leading tabs is removed
//     from every line of the run (so a snippet may start inside a block of
//     the example), and nothing else may differ, comments included.
//   - Elision: a snippet line that is exactly "…", "...", "// …" or
//     "// ..." (leading tabs aside) stands for any run of example lines,
//     none included. Nothing else elides: "if err != nil { ... }" must be
//     written out as the example has it.
func TestDocSnippetsAreExamples(t *testing.T) {
	t.Parallel()
	examples := readExamples(t)
	require.NotEmpty(t, examples, "Example functions were found")
	snippets := readSnippets(t)
	require.Greater(t, len(snippets), 10, "the snippets of README.md and the doc.go files were found")

	seen := map[string]bool{}
	for _, sn := range snippets {
		seen[sn.file] = true
		t.Run(fmt.Sprintf("%s:%d", sn.file, sn.line), func(t *testing.T) {
			// The closest example shares the most lines with the snippet;
			// the message shows where their best alignment breaks off.
			// The closest example shares the most lines with the snippet,
			// else the most words; the message shows where their best
			// alignment breaks off.
			var best match
			bestShared, bestWords := -1, -1
			for _, ex := range examples {
				m := matchSnippet(sn.lines, ex.lines)
				if m.full {
					return
				}
				shared, words := sharedLines(sn.lines, ex.lines), sharedWords(sn.lines, ex.lines)
				if shared > bestShared || shared == bestShared && (words > bestWords || words == bestWords && m.reached > best.reached) {
					best, best.ex, bestShared, bestWords = m, ex, shared, words
				}
			}
			msg := fmt.Sprintf("%s:%d: this snippet is not a copy of an Example function body (see TestDocSnippetsAreExamples for the rule)", sn.file, sn.line)
			if best.ex != nil {
				bad := sn.lines[best.reached]
				msg += fmt.Sprintf("\nclosest: %s (%s:%d), which has %d of its %d lines", best.ex.name, best.ex.file, best.ex.line, bestShared, len(sn.lines))
				if best.reached > 0 {
					msg += fmt.Sprintf("; a copy of the first %d, then %s:%d\n\t%s\nwhere the example has\n\t%s",
						best.reached, sn.file, bad.line, bad.text, best.exText)
				} else {
					msg += fmt.Sprintf(" but not the first, %s:%d\n\t%s", sn.file, bad.line, bad.text)
				}
			}
			t.Error(msg)
		})
	}
	require.True(t, seen["README.md"], "README.md has Go snippets")
	require.True(t, seen[filepath.Join("smartasync", "doc.go")], "the package docs' snippets were read")
}

// codeLine is one non-blank line of a snippet or an example: its leading
// tabs counted, the rest kept, trailing white space trimmed.
type codeLine struct {
	tabs   int
	text   string
	elide  bool // a snippet line standing for any run of example lines
	line   int  // in its file
	source string
}

type snippet struct {
	file  string
	line  int
	lines []codeLine
}

type example struct {
	name  string
	file  string
	line  int
	lines []codeLine
}

func newCodeLine(s string, line int) codeLine {
	s = strings.TrimRight(s, " \t\r")
	rest := strings.TrimLeft(s, "\t")
	c := codeLine{tabs: len(s) - len(rest), text: rest, line: line, source: s}
	switch rest {
	case "…", "...", "// …", "// ...":
		c.elide = true
	}
	return c
}

// walkModule calls fn for every file of the module, skipping hidden
// directories and testdata.
func walkModule(t *testing.T, fn func(path string)) {
	t.Helper()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		fn(path)
		return nil
	})
	require.NoError(t, err)
}

func readExamples(t *testing.T) []*example {
	t.Helper()
	var out []*example
	walkModule(t, func(path string) {
		base := filepath.Base(path)
		if !strings.HasPrefix(base, "example") || !strings.HasSuffix(base, "_test.go") {
			return
		}
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Body == nil || !strings.HasPrefix(fd.Name.Name, "Example") {
				continue
			}
			open := fset.Position(fd.Body.Lbrace)
			body := src[open.Offset+1 : fset.Position(fd.Body.Rbrace).Offset]
			ex := &example{name: fd.Name.Name, file: path, line: fset.Position(fd.Pos()).Line}
			for i, l := range strings.Split(string(body), "\n") {
				if strings.TrimSpace(l) != "" {
					ex.lines = append(ex.lines, newCodeLine(l, open.Line+i))
				}
			}
			out = append(out, ex)
		}
	})
	return out
}

func readSnippets(t *testing.T) []snippet {
	t.Helper()
	var snippets []snippet
	walkModule(t, func(path string) {
		switch {
		case strings.HasSuffix(path, ".md"):
			snippets = append(snippets, markdownSnippets(t, path)...)
		case filepath.Base(path) == "doc.go" && !strings.HasPrefix(filepath.ToSlash(path), "internal/"):
			snippets = append(snippets, docSnippets(t, path)...)
		}
	})
	return snippets
}

// markdownSnippets returns the ```go blocks of a markdown file.
func markdownSnippets(t *testing.T, path string) []snippet {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []snippet
	var cur *snippet
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(l) == "```go":
			cur = &snippet{file: path, line: n + 1}
		case cur != nil && strings.TrimSpace(l) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil && strings.TrimSpace(l) != "":
			cur.lines = append(cur.lines, newCodeLine(l, n))
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "%s: a ```go block is not closed", path)
	return out
}

// docSnippets returns the code blocks of a doc.go's comments: runs of
// "//\t" lines and the blank "//" lines between them.
func docSnippets(t *testing.T, path string) []snippet {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []snippet
	var cur *snippet
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(l, " \t\r")
		switch {
		case strings.HasPrefix(l, "//\t"):
			if cur == nil {
				cur = &snippet{file: path, line: i + 1}
			}
			// Drop the one tab that makes the line code in a doc comment.
			cur.lines = append(cur.lines, newCodeLine(l[len("//\t"):], i+1))
		case l == "//" && cur != nil:
			// A blank line inside a block (or after it: flushed later).
		default:
			flush()
		}
	}
	flush()
	return out
}

// match is the best alignment of a snippet with one example: how many
// snippet lines matched from its start, and the example's line where the
// next one did not.
type match struct {
	ex      *example
	full    bool
	reached int
	exText  string
}

// sharedLines counts the lines of sn whose text (indentation aside) is a
// line of ex, leaving out lines every example has ("}", "if err != nil {").
func sharedLines(sn, ex []codeLine) int {
	have := map[string]bool{}
	for _, e := range ex {
		have[e.text] = true
	}
	n := 0
	for _, s := range sn {
		if !s.elide && have[s.text] && !boilerplate(s.text) {
			n++
		}
	}
	return n
}

// sharedWords counts the distinct words (identifiers, literals) of sn that
// occur in ex.
func sharedWords(sn, ex []codeLine) int {
	words := func(lines []codeLine) map[string]bool {
		m := map[string]bool{}
		for _, l := range lines {
			for _, w := range strings.FieldsFunc(l.text, func(r rune) bool {
				return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
			}) {
				m[w] = true
			}
		}
		return m
	}
	have, n := words(ex), 0
	for w := range words(sn) {
		if have[w] {
			n++
		}
	}
	return n
}

func boilerplate(text string) bool {
	if strings.Trim(text, "{}()[], ") == "" {
		return true
	}
	for _, p := range []string{"if err != nil", "return", "log.Fatal(err", "fmt.Println(err", "panic(err"} {
		if strings.HasPrefix(text, p) {
			return true
		}
	}
	return false
}

// matchSnippet aligns sn with a contiguous run of ex starting anywhere.
func matchSnippet(sn, ex []codeLine) match {
	var best match
	for start := range ex {
		m := matchFrom(sn, 0, ex, start, -1)
		if m.full {
			return m
		}
		if m.reached > best.reached {
			best = m
		}
	}
	return best
}

// matchFrom matches sn[i:] against ex[j:], every line with the same tab
// offset k (-1 until the first line fixes it). Elisions try every length.
func matchFrom(sn []codeLine, i int, ex []codeLine, j, k int) match {
	for ; i < len(sn); i, j = i+1, j+1 {
		s := sn[i]
		if s.elide {
			best := match{reached: i}
			for jj := j; jj <= len(ex); jj++ {
				m := matchFrom(sn, i+1, ex, jj, k)
				if m.full {
					return m
				}
				if m.reached > best.reached {
					best = m
				}
			}
			return best
		}
		if j >= len(ex) {
			return match{reached: i, exText: "(the end of the function)"}
		}
		e := ex[j]
		if k < 0 {
			k = e.tabs - s.tabs
		}
		if k < 0 || e.tabs != s.tabs+k || e.text != s.text {
			return match{reached: i, exText: e.source}
		}
	}
	return match{full: true, reached: len(sn)}
}

func TestMatchSnippet(t *testing.T) {
	t.Parallel()
	lines := func(src string) []codeLine {
		var out []codeLine
		for i, l := range strings.Split(src, "\n") {
			if strings.TrimSpace(l) != "" {
				out = append(out, newCodeLine(l, i+1))
			}
		}
		return out
	}
	ex := lines("\tctx := context.Background()\n\tif err := run(ctx); err != nil {\n\t\tlog.Fatal(err) // why\n\t}\n\n\tfmt.Println(1)\n\tfmt.Println(2)\n")
	for _, tc := range []struct {
		name, snippet string
		full          bool
	}{
		{"whole body, indentation removed", "ctx := context.Background()\nif err := run(ctx); err != nil {\n\tlog.Fatal(err) // why\n}\nfmt.Println(1)\nfmt.Println(2)", true},
		{"a run inside a block", "log.Fatal(err) // why", true},
		{"blank lines ignored", "fmt.Println(1)\n\n\nfmt.Println(2)", true},
		{"elision of a block's body", "if err := run(ctx); err != nil {\n\t// …\n}\nfmt.Println(1)", true},
		{"elision of nothing", "fmt.Println(1)\n...\nfmt.Println(2)", true},
		{"trailing elision", "ctx := context.Background()\n// ...", true},
		{"a comment differs", "if err := run(ctx); err != nil {\n\tlog.Fatal(err)\n}", false},
		{"relative indentation differs", "if err := run(ctx); err != nil {\nlog.Fatal(err) // why", false},
		{"not contiguous", "ctx := context.Background()\nfmt.Println(1)", false},
		{"order differs", "fmt.Println(2)\nfmt.Println(1)", false},
		{"inline elision is not one", "if err := run(ctx); err != nil { ... }", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.full, matchSnippet(lines(tc.snippet), ex).full)
		})
	}
}
