// Package notebook reads and writes Jupyter notebooks (nbformat 4): the
// model, the file format and nothing else, so that tools can save a Python
// session's history as a notebook and run a notebook's code cells and
// write their outputs back (issue 13: save_notebook, run_notebook).
//
//	nb := notebook.New(
//		notebook.NewMarkdownCell("# Totals"),
//		notebook.NewCodeCell("print(sum([1, 2, 3]))", 1, notebook.NewStream(notebook.Stdout, "6\n")),
//		notebook.NewCodeCell("1 / 0", 2, notebook.NewError("ZeroDivisionError", "division by zero",
//			"Traceback (most recent call last):\n  File \"<cell>\", line 1\nZeroDivisionError: division by zero\n")),
//	)
//	var buf bytes.Buffer
//	if err := nb.Write(&buf); err != nil {
//		log.Fatal(err)
//	}
//
//	back, err := notebook.Read(&buf, notebook.DefaultMaxBytes)
//	if err != nil {
//		log.Fatal(err)
//	}
//	for i, c := range back.CodeCells() {
//		fmt.Printf("cells[%d] %q: %s\n", i, c.Source, c.Outputs[0].Type)
//	}
//
// # Writing
//
// Write and Marshal write what Jupyter's nbformat package writes, byte for
// byte: keys sorted, indented by one space, texts as lists of lines (split
// as Python's str.splitlines), a final newline. A notebook read and written
// back is the same file, so a diff shows only the outputs a run changed.
// The tests check the files with nbformat itself (nbformat.validate and
// nbformat.read), at the version they pin.
//
// # Reading
//
// Read and Parse accept nbformat 4.0 to 4.5 and keep the minor version, as
// nbformat does: cell ids exist from 4.5 on, and a 4.4 notebook is written
// back as 4.4 without them. Texts may be lists of strings or strings. What
// the schema allows outside metadata is kept, and metadata is kept whole,
// so markdown cells, tags and other tools' settings survive a run. Read
// reads at most a given number of bytes (DefaultMaxBytes). Input that is
// not a notebook is ErrInvalid, naming the field and what to do; nbformat 3
// or older is ErrVersion, with the command that converts it.
//
// # Outputs
//
// An Output is a stream (NewStream), a cell's value (NewExecuteResult), a
// display such as a figure (NewDisplayData) or an exception (NewError).
// NewBundle makes the MIME bundle of a value or a display from raw
// content: text as it is, images and other binary content in base64.
package notebook
