package session_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/session"
)

// richCode defines classes whose values offer the display protocol's
// methods in the ways IPython accepts (pngCode is workspace_test.go's).
const richCode = pngCode + `
JPEG = b'\xff\xd8\xff\xe0' + bytes(range(16))
class Rich:
    def __repr__(self): return 'Rich()'
    def _repr_markdown_(self): return '**rich**'
    def _repr_html_(self): return ('<b>rich</b>', {'isolated': True})  # (data, metadata)
    def _repr_svg_(self): return '<svg xmlns="http://www.w3.org/2000/svg"/>'
    def _repr_latex_(self): return r'$\alpha$'
    def _repr_json_(self): return {'a': [1, 2]}
    def _repr_png_(self): return png(3, 2)
    def _repr_jpeg_(self): return JPEG
class Broken:
    def __repr__(self): return 'Broken()'
    def _repr_html_(self): raise ValueError('no html today')
    def _repr_markdown_(self): return None  # declines, as IPython allows
    def _repr_svg_(self): return 42
class Big:
    def __repr__(self): return 'Big()'
    def _repr_html_(self): return '<p>' + 'x' * 10000 + '</p>'
    def _repr_markdown_(self): return 'head\n' + 'y' * 10000 + '\ntail'
class Bundle:
    def __repr__(self): return 'Bundle()'
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {'text/html': '<i>from the bundle</i>', 'application/vnd.example+json': {'k': 'v'}}
    def _repr_html_(self): return '<i>from the method</i>'
`

func TestRichValues(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{OutputCap: 4096})
	execute(t, m, "", richCode)

	t.Run("every method", func(t *testing.T) {
		res := execute(t, m, "", "Rich()")
		require.Nil(t, res.Error)
		require.Equal(t, "Rich()", res.Value)
		d := res.Data
		require.Equal(t, "Rich()", d["text/plain"])
		require.Equal(t, "**rich**", d["text/markdown"])
		require.Equal(t, "<b>rich</b>", d["text/html"])
		require.Equal(t, `<svg xmlns="http://www.w3.org/2000/svg"/>`, d["image/svg+xml"])
		require.Equal(t, `$\alpha$`, d["text/latex"])
		require.JSONEq(t, `{"a": [1, 2]}`, d["application/json"])
		jpeg, err := base64.StdEncoding.DecodeString(d["image/jpeg"])
		require.NoError(t, err)
		require.Equal(t, []byte("\xff\xd8\xff\xe0\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"), jpeg)
		raw, err := base64.StdEncoding.DecodeString(d["image/png"])
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(raw))
		require.NoError(t, err)
		require.Equal(t, 3, img.Bounds().Dx())
		require.Len(t, d, 8)
		// The value's image is also image content, once (PNG before JPEG).
		require.Len(t, res.Images, 1)
		require.Equal(t, "image/png", res.Images[0].MIME)
		require.Equal(t, raw, res.Images[0].Data)
		require.Empty(t, res.Notes)
	})
	t.Run("jpeg alone is an image", func(t *testing.T) {
		res := execute(t, m, "", "class J:\n    def _repr_jpeg_(self): return JPEG\nJ()")
		require.Len(t, res.Images, 1)
		require.Equal(t, "image/jpeg", res.Images[0].MIME)
		require.Contains(t, res.Data, "image/jpeg")
	})
	t.Run("failing methods are skipped", func(t *testing.T) {
		res := execute(t, m, "", "Broken()")
		require.Nil(t, res.Error)
		require.Equal(t, map[string]string{"text/plain": "Broken()"}, res.Data)
		require.Contains(t, res.Notes, "_repr_html_ failed and was skipped: ValueError: no html today")
		require.Contains(t, res.Notes, "the value's image/svg+xml was int, not str; skipped")
		require.Len(t, res.Notes, 2, "None declines silently: %q", res.Notes)
	})
	t.Run("entries within the cap", func(t *testing.T) {
		res := execute(t, m, "", "Big()")
		require.NotContains(t, res.Data, "text/html", "a cut would break HTML")
		require.Contains(t, res.Notes, "the value's text/html exceeds the limit of 4096 bytes and was left out")
		md := res.Data["text/markdown"]
		require.LessOrEqual(t, len(md), 4096+100)
		require.True(t, strings.HasPrefix(md, "head\n") && strings.HasSuffix(md, "\ntail"), "head and tail: %.80q", md)
		require.Contains(t, md, "bytes omitted")
	})
	t.Run("mimebundle first", func(t *testing.T) {
		res := execute(t, m, "", "Bundle()")
		require.Equal(t, "<i>from the bundle</i>", res.Data["text/html"])
		require.JSONEq(t, `{"k": "v"}`, res.Data["application/vnd.example+json"])
	})
	t.Run("no value, no bundle", func(t *testing.T) {
		res := execute(t, m, "", "y = Rich()")
		require.Nil(t, res.Data)
		require.Empty(t, res.Images)
		res = execute(t, m, "", "y;")
		require.Nil(t, res.Data)
	})
	t.Run("plain values", func(t *testing.T) {
		res := execute(t, m, "", "1 + 1")
		require.Equal(t, map[string]string{"text/plain": "2"}, res.Data)
		b, err := json.Marshal(res)
		require.NoError(t, err)
		require.Contains(t, string(b), `"data":{"text/plain":"2"}`)
	})
}

// frameCode defines stand-ins for pandas.DataFrame and pandas.Series (this
// machine's interpreters have no pandas; TestPandasTables tests the real
// one from the package index). They offer only what the kernel's table
// uses, its documented subset: shape, columns, head(n), tail(n) and
// itertuples(index=True, name=None); a Series shape, name, head, tail and
// items(). They also have a _repr_html_, as pandas's own.
const frameCode = `
class DataFrame:
    def __init__(self, nrows, cols, start=0):
        self.nrows, self.cols, self.start = nrows, cols, start
    @property
    def shape(self): return (self.nrows, len(self.cols))
    @property
    def columns(self): return list(self.cols)
    def head(self, n): return DataFrame(min(n, self.nrows), self.cols, self.start)
    def tail(self, n):
        n = min(n, self.nrows)
        return DataFrame(n, self.cols, self.start + self.nrows - n)
    def itertuples(self, index=True, name=None):
        assert index is True and name is None
        for i in range(self.start, self.start + self.nrows):
            yield (i,) + tuple(i * 100 + j for j in range(len(self.cols)))
    def _repr_html_(self): return '<table>pandas own</table>'
    def __repr__(self): return '<frame %dx%d>' % self.shape
DataFrame.__module__ = 'pandas.core.frame'
class Series:
    def __init__(self, n, name, start=0): self.n, self.name, self.start = n, name, start
    @property
    def shape(self): return (self.n,)
    def head(self, k): return Series(min(k, self.n), self.name, self.start)
    def tail(self, k): return Series(min(k, self.n), self.name, self.start + self.n - min(k, self.n))
    def items(self): return iter([(i, 'v|%d' % i) for i in range(self.start, self.start + self.n)])
    def __repr__(self): return '<series %d>' % self.n
Series.__module__ = 'pandas.core.series'
`

func TestPandasStandInTables(t *testing.T) {
	t.Parallel()
	m := newManager(t, nil)
	execute(t, m, "", frameCode)

	res := execute(t, m, "", "DataFrame(1000, ['c%d' % j for j in range(29)] + ['a|b'])")
	require.Nil(t, res.Error, "%+v", res.Error)
	require.Equal(t, "<table>pandas own</table>", res.Data["text/html"], "pandas's own HTML stays")
	md := res.Data["text/markdown"]
	checkTable(t, md, "1000 rows × 30 columns")
	lines := strings.Split(md, "\n")
	require.Equal(t, "|  | c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | … | c20 | c21 | c22 | c23 | c24 | c25 | c26 | c27 | c28 | a\\|b |", lines[0])
	require.Equal(t, "| 0 | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | … | 20 | 21 | 22 | 23 | 24 | 25 | 26 | 27 | 28 | 29 |", lines[2])
	require.Equal(t, "| 999 | 99900 | 99901 | 99902 | 99903 | 99904 | 99905 | 99906 | 99907 | 99908 | 99909 | … | 99920 | 99921 | 99922 | 99923 | 99924 | 99925 | 99926 | 99927 | 99928 | 99929 |", lines[22])

	small := execute(t, m, "", "DataFrame(3, ['x', 'y'])").Data["text/markdown"]
	require.Equal(t, "|  | x | y |\n| --- | --- | --- |\n| 0 | 0 | 1 |\n| 1 | 100 | 101 |\n| 2 | 200 | 201 |\n\n3 rows × 2 columns\n", small)

	series := execute(t, m, "", "Series(50, 'price')").Data["text/markdown"]
	require.Contains(t, series, "|  | price |\n| --- | --- |\n| 0 | v\\|0 |")
	require.Contains(t, series, "| … | … |\n| 40 | v\\|40 |")
	require.True(t, strings.HasSuffix(series, "\n\n50 rows\n"), series)

	// A frame that breaks the subset keeps its repr and pandas's HTML.
	res = execute(t, m, "", "class Odd(DataFrame):\n    @property\n    def shape(self): raise RuntimeError('no shape')\nOdd(1, ['a'])")
	require.NotContains(t, res.Data, "text/markdown")
	require.Contains(t, res.Data, "text/html")
	require.Contains(t, res.Notes[0], "could not render the Odd as a markdown table: RuntimeError: no shape")
}

// checkTable checks a markdown table of a large frame: 20 rows around a
// "…" row, 21 columns with the index, and the shape line.
func checkTable(t *testing.T, md, shape string) {
	t.Helper()
	require.True(t, strings.HasSuffix(md, "\n\n"+shape+"\n"), "shape line: %q", md)
	rows := strings.Split(strings.TrimSuffix(md, "\n\n"+shape+"\n"), "\n")
	require.Len(t, rows, 2+10+1+10, "header, rule, head, …, tail")
	for _, r := range rows {
		cells := strings.Split(strings.ReplaceAll(r, `\|`, ""), " | ")
		require.Len(t, cells, 1+10+1+10, "index, 10 columns, …, 10 columns: %q", r)
	}
	require.True(t, strings.HasPrefix(rows[12], "| … | … |"), rows[12])
	require.Less(t, len(md), 8<<10)
}

// TestPandasTables renders a real pandas DataFrame of 1000 rows × 30
// columns, pandas installed from the package index through the shared uv
// cache (this machine's interpreters have none).
func TestPandasTables(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{UV: testenv.UV(t), UVArgs: uvCacheArgs()})
	install(t, m, "", "pandas")
	res := execute(t, m, "", "import pandas as pd\ndf = pd.DataFrame({'c%d' % j: range(j, j + 1000) for j in range(30)})\ndf")
	require.Nil(t, res.Error, "%+v", res.Error)
	require.Empty(t, res.Notes)
	checkTable(t, res.Data["text/markdown"], "1000 rows × 30 columns")
	require.Contains(t, res.Data["text/markdown"], "| 999 | 999 | 1000 |")
	require.Contains(t, res.Data["text/html"], "<table")
	require.Contains(t, res.Data["text/plain"], "[1000 rows x 30 columns]")
	require.Empty(t, res.Notes)

	s := execute(t, m, "", "df['c1'].rename('one')").Data["text/markdown"]
	require.True(t, strings.HasPrefix(s, "|  | one |\n| --- | --- |\n| 0 | 1 |\n"), s)
	require.True(t, strings.HasSuffix(s, "| 999 | 1000 |\n\n1000 rows\n"), s)
	require.Equal(t, "False", value(t, m, "", "import sys\n'tabulate' in sys.modules"))
}
