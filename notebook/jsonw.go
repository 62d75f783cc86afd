package notebook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// jsonWriter writes JSON as Python's json.dumps(indent=1, sort_keys=True,
// separators=(",", ": "), ensure_ascii=False) does, which is how nbformat
// writes notebooks. Hand-written rather than encoding/json because that
// cannot produce this layout in one pass: its indenting is a second pass
// that scans every byte (about two thirds of the time of writing a
// notebook with images), and it escapes U+2028 and U+2029, which Python
// writes as they are.
type jsonWriter struct {
	buf []byte
}

// object is an object being written at depth: key writes the separator
// and the key of its next member, end closes it.
type object struct {
	w     *jsonWriter
	depth int
	n     int
}

func (w *jsonWriter) object(depth int) object {
	w.buf = append(w.buf, '{')
	return object{w: w, depth: depth}
}

func (o *object) key(k string) {
	if o.n > 0 {
		o.w.buf = append(o.w.buf, ',')
	}
	o.n++
	o.w.newline(o.depth + 1)
	o.w.string(k)
	o.w.buf = append(o.w.buf, ": "...)
}

func (o *object) end() {
	if o.n > 0 {
		o.w.newline(o.depth)
	}
	o.w.buf = append(o.w.buf, '}')
}

// array writes an array of n elements at depth, one a line one level
// deeper, each written by elem(i); an empty one as [].
func (w *jsonWriter) array(depth, n int, elem func(i int) error) error {
	if n == 0 {
		w.buf = append(w.buf, "[]"...)
		return nil
	}
	w.buf = append(w.buf, '[')
	for i := range n {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.newline(depth + 1)
		if err := elem(i); err != nil {
			return err
		}
	}
	w.newline(depth)
	w.buf = append(w.buf, ']')
	return nil
}

func (w *jsonWriter) newline(depth int) {
	w.buf = append(w.buf, '\n')
	for range depth {
		w.buf = append(w.buf, ' ')
	}
}

// strings writes a list of strings.
func (w *jsonWriter) strings(depth int, list []string) {
	if len(list) == 0 {
		w.buf = append(w.buf, "[]"...)
		return
	}
	w.buf = append(w.buf, '[')
	for i, s := range list {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.newline(depth + 1)
		w.string(s)
	}
	w.newline(depth)
	w.buf = append(w.buf, ']')
}

// value writes any value: what encoding/json decodes into an any is written
// directly, anything else as encoding/json marshals it, laid out the same
// way. The error starts with the path below v of what cannot be written
// ("[\"k\"][0]: …").
func (w *jsonWriter) value(depth int, v any) error {
	switch v := v.(type) {
	case nil:
		w.buf = append(w.buf, "null"...)
	case bool:
		w.buf = strconv.AppendBool(w.buf, v)
	case string:
		w.string(v)
	case json.Number:
		if !isNumber(v) {
			return fmt.Errorf(": json.Number %q is not a number", string(v))
		}
		w.buf = append(w.buf, v...)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf(": %v is not a JSON number", v)
		}
		b, _ := json.Marshal(v)
		w.buf = append(w.buf, b...)
	case int:
		w.buf = strconv.AppendInt(w.buf, int64(v), 10)
	case []string:
		w.strings(depth, v)
	case []any:
		if len(v) == 0 {
			w.buf = append(w.buf, "[]"...)
			return nil
		}
		w.buf = append(w.buf, '[')
		for i, e := range v {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.newline(depth + 1)
			if err := w.value(depth+1, e); err != nil {
				return fmt.Errorf("[%d]%w", i, err)
			}
		}
		w.newline(depth)
		w.buf = append(w.buf, ']')
	case map[string]any:
		o := w.object(depth)
		for _, k := range slices.Sorted(maps.Keys(v)) {
			o.key(k)
			if err := w.value(depth+1, v[k]); err != nil {
				return fmt.Errorf("[%q]%w", k, err)
			}
		}
		o.end()
	default:
		// Another Go value (a struct, a map of another type, a
		// json.RawMessage): its JSON, decoded into an any and written as
		// above, so that its keys are sorted and its layout is the same.
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf(": %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var generic any
		if err := dec.Decode(&generic); err != nil {
			return fmt.Errorf(": %w", err)
		}
		return w.value(depth, generic)
	}
	return nil
}

// isNumber reports whether s is a JSON number.
func isNumber(n json.Number) bool {
	s := string(n)
	return s != "" && (s[0] == '-' || '0' <= s[0] && s[0] <= '9') && json.Valid([]byte(s))
}

// string writes s quoted and escaped as Python's json.dumps with
// ensure_ascii=False: '"', '\\' and control characters escaped, everything
// else as it is. Invalid UTF-8 is written as U+FFFD, as encoding/json does,
// so that the file is valid UTF-8.
func (w *jsonWriter) string(s string) {
	w.buf = append(w.buf, '"')
	start := 0 // the start of the run not yet written
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				w.buf = append(w.buf, s[start:i]...)
				w.buf = append(w.buf, "\uFFFD"...)
				start = i + 1
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		w.buf = append(w.buf, s[start:i]...)
		switch c {
		case '"', '\\':
			w.buf = append(w.buf, '\\', c)
		case '\n':
			w.buf = append(w.buf, '\\', 'n')
		case '\r':
			w.buf = append(w.buf, '\\', 'r')
		case '\t':
			w.buf = append(w.buf, '\\', 't')
		case '\b':
			w.buf = append(w.buf, '\\', 'b')
		case '\f':
			w.buf = append(w.buf, '\\', 'f')
		default:
			const hex = "0123456789abcdef"
			w.buf = append(w.buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	w.buf = append(w.buf, s[start:]...)
	w.buf = append(w.buf, '"')
}
