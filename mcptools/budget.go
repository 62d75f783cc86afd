package mcptools

import (
	"unicode/utf8"

	"github.com/pyexec-mcp/pyexec/internal/headtail"
)

// The response budget (Options.ResponseTokens, max_response_tokens): how
// much output one tool result shows. Output is what can be large — a run's
// streams, a cell's, a page of a log or a file — so the budget is spent on
// it; the rest of a response (status, timings, notes) is small and bounded
// by responseOverhead.

// responseOverhead is the part of a token budget kept for the rest of a
// result's text: headings, facts, the notes that say how to read what was
// left out.
const responseOverhead = 2000

// maxShowBytes is the most output bytes any response shows: the output
// bytes of MaxResponseTokens.
const maxShowBytes = MaxResponseTokens*BytesPerToken - responseOverhead

// showBytes returns the output bytes a call that asks for tokens
// (max_response_tokens; 0 for the server's budget) may show, or an
// argument error naming the parameter.
func (t *Toolset) showBytes(tokens int) (int, error) { return showBytes(t.cfg.responseTokens, tokens) }

// showBytes is Toolset.showBytes for a server budget of server tokens.
func showBytes(server, tokens int) (int, error) {
	switch {
	case tokens < 0:
		return 0, argError("max_response_tokens", "must not be negative; 0 (or omitting it) means the server's budget of %d tokens", server)
	case tokens > MaxResponseTokens:
		return 0, argError("max_response_tokens", "%d is above the largest budget, %d tokens; ask for at most that and page through the rest", tokens, MaxResponseTokens)
	case tokens == 0:
		tokens = server
	}
	return max(tokens*BytesPerToken-responseOverhead, 256), nil
}

// pageBytes is the bytes a paged read (get_job_output, read_file) returns
// for max_bytes n: the server's budget, or n up to the largest budget.
func pageBytes(server, n int) int {
	if n > 0 {
		return min(n, maxShowBytes)
	}
	b, _ := showBytes(server, 0)
	return b
}

// pageLen is how much of data, read from a stream that may go on (more),
// a page of limit bytes as sent (JSON-escaped) keeps: all of it if it fits
// and the stream ends there, else up to a line boundary where it can (see
// pageEnd).
func pageLen(data []byte, limit int, more bool) int {
	for l := limit; ; {
		n := min(len(data), l)
		k := pageEnd(data[:n], n < len(data) || more)
		if e := escapedBytes(data[:k]); e <= limit || l < 64 {
			return k
		}
		l = max(l*limit/escapedBytes(data[:k]), 1)
	}
}

// defaultShow is the output bytes of the server's budget.
func (t *Toolset) defaultShow() int {
	n, _ := t.showBytes(0)
	return n
}

// fitOutput cuts two streams to limit bytes together as they are sent:
// JSON-escaped (a control byte takes six), so that no output, however
// odd, makes a response larger than its budget.
func fitOutput(out, err headtail.Span, limit int) (headtail.Span, headtail.Span) {
	l := limit
	for range 8 {
		o, e := headtail.Fit(out, err, l)
		n := escapedLen(o) + escapedLen(e)
		if n <= limit {
			return o, e
		}
		l = l * limit / n
	}
	o, e := headtail.Fit(out, err, limit/6) // at most six bytes a byte
	return o, e
}

// escapedLen is the length of a span's kept bytes in a JSON string: the
// escapes of encoding/json (which also escapes <, > and & for HTML) and
// invalid UTF-8 replaced by U+FFFD.
func escapedLen(s headtail.Span) int { return escapedBytes(s.Head) + escapedBytes(s.Tail) }

func escapedBytes(b []byte) int {
	n := 0
	for len(b) > 0 {
		c := b[0]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				n += 6
			default:
				n++
			}
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size == 1:
			n += 3
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		b = b[size:]
	}
	return n
}
