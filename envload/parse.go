package envload

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/joho/godotenv"
)

// Parse reads .env syntax from r and returns its variables. $KEY and ${KEY}
// expand against the lines above only (see the package doc); use [Build] to
// let the file see a base environment too. It reads at most [MaxFileBytes]
// (more is an error wrapping [ErrFileTooLarge]), as for a file.
func Parse(r io.Reader) (map[string]string, error) {
	src, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, newError(ErrFileUnreadable, err, fmt.Sprintf("cannot read env file: %v", err))
	}
	if len(src) > MaxFileBytes {
		return nil, newError(ErrFileTooLarge, nil,
			fmt.Sprintf("env file is more than %s; env files are limited to %s", mib(MaxFileBytes), mib(MaxFileBytes)))
	}
	return parse(src, "", nil)
}

// ParseFile reads the .env file at path and returns its variables, as
// [Parse] does. The file must be a regular file of at most [MaxFileBytes]
// outside /proc, /dev and /sys, and not the process's standard input (see
// "Which files" in the package doc).
func ParseFile(path string) (map[string]string, error) {
	src, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parse(src, path, nil)
}

// parse parses src (named name in messages, "" for a reader) and expands
// references against base where the file does not define them first.
func parse(src []byte, name string, base map[string]string) (map[string]string, error) {
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")) // as godotenv does, so offsets agree
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return nil, syntaxError(name, lineOf(src, i), "contains a NUL byte; an env file must be text")
	}
	vals, err := godotenv.UnmarshalBytes(src)
	if err != nil {
		line, detail := describe(src, err)
		return nil, syntaxError(name, line, detail)
	}
	if _, ok := vals[""]; ok {
		return nil, newError(ErrEmptyKey, nil, fmt.Sprintf("%s line %d: empty variable name; write KEY=value",
			fileLabel(name), emptyKeyLine(src)))
	}
	prelude, baseVals := basePrelude(src, base)
	if len(baseVals) == 0 {
		return vals, nil
	}
	// Parse again with the base values the file refers to defined above the
	// file's first line, as placeholders. godotenv only expands against the
	// lines above (it never reads os.Getenv), so this is how the base layer
	// becomes visible without os.Setenv. Placeholders are NUL-delimited: the
	// file holds no NUL (checked above), so none can be forged, and they are
	// substituted after godotenv has finished every escape and expansion, so
	// a base value is inserted verbatim, never re-parsed.
	withBase, err := godotenv.UnmarshalBytes(append(prelude, src...))
	if err != nil {
		// Unreachable: the prelude is KEY=<token> lines that end in '\n'.
		return nil, syntaxError(name, 0, err.Error())
	}
	for k := range vals {
		vals[k] = substitute(withBase[k], baseVals)
	}
	return vals, nil
}

// refRe finds the names that godotenv could expand ($NAME or ${NAME}); a
// superset is harmless, it only adds unused prelude lines.
var refRe = regexp.MustCompile(`\$\{?([A-Z0-9_]+)`)

// basePrelude returns "NAME=\x00i\x00\n" lines for every base variable the
// file refers to, and the values the placeholders stand for.
func basePrelude(src []byte, base map[string]string) ([]byte, []string) {
	if len(base) == 0 {
		return nil, nil
	}
	seen := map[string]bool{}
	var names []string
	for _, m := range refRe.FindAllSubmatch(src, -1) {
		n := string(m[1])
		if _, ok := base[n]; ok && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var prelude []byte
	vals := make([]string, 0, len(names))
	for i, n := range names {
		prelude = fmt.Appendf(prelude, "%s=\x00%d\x00\n", n, i)
		vals = append(vals, base[n])
	}
	return prelude, vals
}

// substitute replaces the "\x00i\x00" placeholders in v by vals[i].
func substitute(v string, vals []string) string {
	if strings.IndexByte(v, 0) < 0 {
		return v
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(v, 0)
		if i < 0 {
			b.WriteString(v)
			return b.String()
		}
		b.WriteString(v[:i])
		j := strings.IndexByte(v[i+1:], 0)
		n := -1
		if j >= 0 {
			if k, err := strconv.Atoi(v[i+1 : i+1+j]); err == nil {
				n = k
			}
		}
		if n < 0 || n >= len(vals) {
			// Cannot happen (see parse); keep the bytes so Build rejects the NUL.
			b.WriteString(v[i:])
			return b.String()
		}
		b.WriteString(vals[n])
		v = v[i+1+j+1:]
	}
}

func fileLabel(name string) string {
	if name == "" {
		return "env file"
	}
	return fmt.Sprintf("env file %q", name)
}

func syntaxError(name string, line int, detail string) error {
	where := fileLabel(name)
	if line > 0 {
		where += fmt.Sprintf(" line %d", line)
	}
	return newError(ErrSyntax, nil, where+": "+detail)
}

func lineOf(src []byte, off int) int {
	return 1 + bytes.Count(src[:off], []byte("\n"))
}

// describe turns a godotenv error into a line number and a message that says
// what to fix. godotenv v1.5.1 returns untyped errors whose text quotes the
// rest of the file (secrets included), so the text is parsed here and never
// passed on. Pinned to godotenv's three messages; anything else gets a
// generic message without a line.
func describe(src []byte, err error) (int, string) {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "unexpected character "); ok {
		return describeBadChar(src, rest)
	}
	if rest, ok := strings.CutPrefix(msg, "unterminated quoted value "); ok {
		return describeUnterminated(src, rest)
	}
	if msg == "zero length string" {
		return lastStatementLine(src), `"export" without a variable name; write export KEY=value`
	}
	return 0, "not valid .env syntax; write one KEY=value per line"
}

func describeBadChar(src []byte, rest string) (int, string) {
	q, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return 0, "not valid .env syntax; write one KEY=value per line"
	}
	ch, _ := strconv.Unquote(q)
	line := 0
	if near, ok := strings.CutPrefix(rest[len(q):], " in variable name near "); ok {
		if s, err := strconv.Unquote(near); err == nil && bytes.HasSuffix(src, []byte(s)) {
			line = lineOf(src, len(src)-len(s))
		}
	}
	if ch == "\n" {
		return line, "line has no '=' or ':'; write KEY=value, or start a comment with '#'"
	}
	return line, fmt.Sprintf("unexpected %q in a variable name; names may contain only letters, digits, '_' and '.'", ch)
}

// describeUnterminated finds the quote that is never closed. godotenv quotes
// the rest of that line, starting at the quote; the value runs to the end of
// the file, so the last occurrence not preceded by a backslash is the one.
func describeUnterminated(src []byte, text string) (int, string) {
	hint := "a quoted value is never closed; add the closing quote"
	if text == "" {
		return 0, hint
	}
	t := []byte(text)
	idx := bytes.LastIndex(src, t)
	for idx > 0 && src[idx-1] == '\\' {
		idx = bytes.LastIndex(src[:idx], t)
	}
	if idx < 0 {
		return 0, hint
	}
	start := bytes.LastIndexByte(src[:idx], '\n') + 1
	key := strings.TrimSpace(string(src[start:idx]))
	key = strings.TrimSpace(strings.TrimRight(key, "=:"))
	key = strings.TrimSpace(strings.TrimPrefix(key, "export "))
	return lineOf(src, idx), fmt.Sprintf("the value of %s opens a %s quote that is never closed; add the closing %s",
		key, text[:1], text[:1])
}

var emptyKeyRe = regexp.MustCompile(`(?m)^[ \t]*(?:export[ \t]+)?[=:]`)

// emptyKeyLine finds the statement godotenv read as an empty name: a line
// starting with '=' or ':', or else a last line with no '=' at all (godotenv
// reads "FOO" at the end of the file as an empty name with value "FOO").
func emptyKeyLine(src []byte) int {
	if loc := emptyKeyRe.FindIndex(src); loc != nil {
		return lineOf(src, loc[0])
	}
	return lastStatementLine(src)
}

// lastStatementLine is the line of the last non-blank, non-comment line.
func lastStatementLine(src []byte) int {
	lines := bytes.Split(src, []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		l := bytes.TrimSpace(lines[i])
		if len(l) > 0 && l[0] != '#' {
			return i + 1
		}
	}
	return len(lines)
}
