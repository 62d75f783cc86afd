package executor

import (
	"fmt"
	"strings"

	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
)

// validateRequirement rejects what uv would read as an option, and strings
// that are not PEP 508 requirements, naming the offending string.
func validateRequirement(s string) error {
	if err := uvcmd.CheckRequirement(s); err != nil {
		return invalid("Dependencies", "%s", err.Error())
	}
	return nil
}

// scriptMetadata is the part of a PEP 723 "# /// script" block we honour.
type scriptMetadata struct {
	Dependencies   []string
	RequiresPython string
}

// parseScriptMetadata reads the PEP 723 "script" block of code, if any. It
// understands the two keys uv acts on (dependencies, requires-python) in the
// TOML forms scripts use: a string, and an array of strings over one or more
// lines, with comments.
func parseScriptMetadata(code string) (scriptMetadata, error) {
	var md scriptMetadata
	lines := strings.Split(strings.ReplaceAll(code, "\r\n", "\n"), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimRight(l, " \t") == "# /// script" {
			start = i
			break
		}
	}
	if start < 0 {
		return md, nil
	}
	var body []string
	closed := false
	for i, l := range lines[start+1:] {
		if strings.TrimRight(l, " \t") == "# ///" {
			closed = true
			break
		}
		switch {
		case l == "#":
			body = append(body, "")
		case strings.HasPrefix(l, "# "):
			body = append(body, l[2:])
		default:
			return md, invalid("Code", "the \"# /// script\" block is not closed before line %d (%q), which does not start with \"# \"; end the block with a line \"# ///\"", start+i+2, l)
		}
	}
	if !closed {
		return md, invalid("Code", "the \"# /// script\" block is not closed; end it with a line \"# ///\"")
	}
	return parseMetadataTOML(strings.Join(body, "\n"))
}

func parseMetadataTOML(src string) (scriptMetadata, error) {
	var md scriptMetadata
	p := &tomlLite{s: src}
	section := ""
	for {
		p.skipSpaceAndComments()
		if p.eof() {
			return md, nil
		}
		if p.peek() == '[' {
			end := strings.IndexByte(p.s[p.i:], '\n')
			if end < 0 {
				end = len(p.s) - p.i
			}
			section = strings.TrimSpace(p.s[p.i : p.i+end])
			p.i += end
			continue
		}
		key := p.key()
		if key == "" {
			return md, p.errorf("expected a key")
		}
		p.skipInlineSpace()
		if !p.consume('=') {
			return md, p.errorf("expected '=' after %q", key)
		}
		p.skipInlineSpace()
		val, err := p.value()
		if err != nil {
			return md, err
		}
		if section != "" {
			continue // [tool.*] tables are not ours
		}
		switch key {
		case "dependencies":
			list, ok := val.([]string)
			if !ok {
				return md, p.errorf("dependencies must be an array of strings")
			}
			md.Dependencies = list
		case "requires-python":
			s, ok := val.(string)
			if !ok {
				return md, p.errorf("requires-python must be a string")
			}
			md.RequiresPython = s
		}
	}
}

// tomlLite parses the TOML subset of script metadata: bare or quoted keys,
// basic and literal strings, arrays of strings, numbers and booleans (read
// and ignored), comments.
type tomlLite struct {
	s string
	i int
}

func (p *tomlLite) eof() bool  { return p.i >= len(p.s) }
func (p *tomlLite) peek() byte { return p.s[p.i] }

func (p *tomlLite) consume(c byte) bool {
	if !p.eof() && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *tomlLite) errorf(format string, a ...any) error {
	line := strings.Count(p.s[:min(p.i, len(p.s))], "\n") + 1
	return invalid("Code", "script metadata block, line %d: %s", line, fmt.Sprintf(format, a...))
}

func (p *tomlLite) skipInlineSpace() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *tomlLite) skipSpaceAndComments() {
	for !p.eof() {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		case '#':
			for !p.eof() && p.s[p.i] != '\n' {
				p.i++
			}
		default:
			return
		}
	}
}

func (p *tomlLite) key() string {
	if !p.eof() && (p.peek() == '"' || p.peek() == '\'') {
		s, err := p.str()
		if err != nil {
			return ""
		}
		return s
	}
	st := p.i
	for !p.eof() {
		c := p.s[p.i]
		if c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			p.i++
			continue
		}
		break
	}
	return p.s[st:p.i]
}

func (p *tomlLite) value() (any, error) {
	if p.eof() {
		return nil, p.errorf("missing value")
	}
	switch p.peek() {
	case '"', '\'':
		return p.str()
	case '[':
		p.i++
		var out []string
		for {
			p.skipSpaceAndComments()
			if p.eof() {
				return nil, p.errorf("unterminated array")
			}
			if p.consume(']') {
				return out, nil
			}
			if c := p.peek(); c != '"' && c != '\'' {
				return nil, p.errorf("array items must be strings")
			}
			s, err := p.str()
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			p.skipSpaceAndComments()
			if p.consume(',') {
				continue
			}
			p.skipSpaceAndComments()
			if p.consume(']') {
				return out, nil
			}
			return nil, p.errorf("expected ',' or ']' in array")
		}
	default:
		st := p.i
		for !p.eof() && p.s[p.i] != '\n' && p.s[p.i] != ',' && p.s[p.i] != ']' && p.s[p.i] != '#' {
			p.i++
		}
		raw := strings.TrimSpace(p.s[st:p.i])
		if raw == "" {
			return nil, p.errorf("missing value")
		}
		return raw, nil // numbers, booleans: kept as text, unused
	}
}

func (p *tomlLite) str() (string, error) {
	q := p.s[p.i]
	if strings.HasPrefix(p.s[p.i:], string([]byte{q, q, q})) {
		return "", p.errorf("multi-line strings are not supported in script metadata")
	}
	p.i++
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), nil
		case c == '\n':
			return "", p.errorf("unterminated string")
		case c == '\\' && q == '"' && p.i+1 < len(p.s):
			p.i++
			switch e := p.s[p.i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '"', '\\':
				b.WriteByte(e)
			default:
				return "", p.errorf("unsupported escape \\%c", e)
			}
			p.i++
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", p.errorf("unterminated string")
}

// satisfiesRequiresPython reports whether version (e.g. "3.12.1") meets a
// PEP 440 specifier set such as ">=3.10,<3.13" or "==3.11.*".
func satisfiesRequiresPython(version, spec string) (bool, error) {
	for _, clause := range strings.Split(spec, ",") {
		c := strings.TrimSpace(clause)
		if c == "" {
			continue
		}
		op := ""
		for _, o := range []string{"~=", "==", "!=", ">=", "<=", ">", "<"} {
			if strings.HasPrefix(c, o) {
				op = o
				break
			}
		}
		if op == "" {
			return false, invalid("Code", "requires-python clause %q has no operator; use e.g. \">=3.10\"", c)
		}
		want := strings.TrimSpace(c[len(op):])
		if want == "" || strings.Trim(want, "0123456789.*") != "" {
			return false, invalid("Code", "requires-python clause %q has a malformed version", c)
		}
		if !matchClause(version, op, want) {
			return false, nil
		}
	}
	return true, nil
}

func matchClause(version, op, want string) bool {
	if strings.HasSuffix(want, ".*") {
		prefix := strings.TrimSuffix(want, ".*")
		n := len(strings.Split(prefix, "."))
		parts := strings.Split(version, ".")
		head := strings.Join(parts[:min(n, len(parts))], ".")
		eq := compareVersions(head, prefix) == 0
		if op == "!=" {
			return !eq
		}
		return eq
	}
	c := compareVersions(version, want)
	switch op {
	case "==":
		// "==3.11" means 3.11.0 in PEP 440; compare on the given precision
		// is what users mean for Python versions, as uv does.
		n := len(strings.Split(want, "."))
		parts := strings.Split(version, ".")
		return compareVersions(strings.Join(parts[:min(n, len(parts))], "."), want) == 0
	case "!=":
		return c != 0
	case ">=":
		return c >= 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case "<":
		return c < 0
	case "~=":
		parts := strings.Split(want, ".")
		if c < 0 || len(parts) < 2 {
			return c >= 0
		}
		upper := strings.Join(parts[:len(parts)-1], ".")
		vp := strings.Split(version, ".")
		return compareVersions(strings.Join(vp[:min(len(parts)-1, len(vp))], "."), upper) == 0
	}
	return false
}
