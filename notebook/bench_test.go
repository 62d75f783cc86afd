package notebook_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/pyexec-mcp/pyexec/notebook"
)

// benchNotebook is what save_notebook writes for a long session: 100 code
// cells with a few lines of source and output each, every tenth with a
// plot of about 50 KB (a 224×224 PNG of noise, which does not compress,
// as a dense plot).
func benchNotebook(b *testing.B) *notebook.Notebook {
	b.Helper()
	png := string(testPNG(b, 224, 224))
	nb := notebook.New()
	for i := range 100 {
		src := fmt.Sprintf("import numpy as np\nx = np.arange(%d)\nprint(x.sum())\nx.mean()", i*10)
		outs := []notebook.Output{
			notebook.NewStream(notebook.Stdout, fmt.Sprintf("%d\nline two\nline three\n", i*(i-1)*5)),
			notebook.NewExecuteResult(i+1, notebook.NewBundle(map[string]string{"text/plain": fmt.Sprintf("np.float64(%d.5)", i)})),
		}
		if i%10 == 0 {
			outs = append(outs, notebook.NewDisplayData(notebook.NewBundle(map[string]string{
				"image/png":  png,
				"text/plain": "<Figure size 640x480 with 1 Axes>",
			})))
		}
		nb.Cells = append(nb.Cells, notebook.NewCodeCell(src, i+1, outs...))
	}
	return nb
}

// BenchmarkWrite writes that notebook: ns/op is the time to write it, and
// file-bytes the size of the file written.
func BenchmarkWrite(b *testing.B) {
	nb := benchNotebook(b)
	out, err := nb.Marshal() // gives the cells their ids, outside the loop
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if err := nb.Write(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out)), "file-bytes")
}

// BenchmarkRead reads that notebook back, as run_notebook does first.
func BenchmarkRead(b *testing.B) {
	data, err := benchNotebook(b).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := notebook.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "file-bytes")
}
