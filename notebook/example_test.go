package notebook_test

import (
	"bytes"
	"fmt"
	"log"
	"strings"

	"github.com/pyexec-mcp/pyexec/notebook"
)

// A session's history saved as a notebook, as save_notebook does.
func Example() {
	nb := notebook.New(
		notebook.NewMarkdownCell("# Totals"),
		notebook.NewCodeCell("print(sum([1, 2, 3]))", 1, notebook.NewStream(notebook.Stdout, "6\n")),
		notebook.NewCodeCell("1 / 0", 2, notebook.NewError("ZeroDivisionError", "division by zero",
			"Traceback (most recent call last):\n  File \"<cell>\", line 1\nZeroDivisionError: division by zero\n")),
	)
	var buf bytes.Buffer
	if err := nb.Write(&buf); err != nil {
		log.Fatal(err)
	}

	back, err := notebook.Read(&buf, notebook.DefaultMaxBytes)
	if err != nil {
		log.Fatal(err)
	}
	for i, c := range back.CodeCells() {
		fmt.Printf("cells[%d] %q: %s\n", i, c.Source, c.Outputs[0].Type)
	}
	// Output:
	// cells[1] "print(sum([1, 2, 3]))": stream
	// cells[2] "1 / 0": error
}

// A notebook's code cells run and their outputs written back, as
// run_notebook does: markdown cells and metadata stay as they were.
func ExampleNotebook_CodeCells() {
	const file = `{"cells": [
	  {"cell_type": "markdown", "metadata": {}, "source": ["# Report\n", "Run me."]},
	  {"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": ["x = 6\n", "x * 7"]}
	 ], "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
	 "nbformat": 4, "nbformat_minor": 4}`
	nb, err := notebook.Read(strings.NewReader(file), notebook.DefaultMaxBytes)
	if err != nil {
		log.Fatal(err)
	}
	count := 0
	for _, c := range nb.CodeCells() {
		count++ // a session runs c.Source here; its value was 42
		c.ExecutionCount = &count
		c.Outputs = []notebook.Output{notebook.NewExecuteResult(count, notebook.NewBundle(map[string]string{"text/plain": "42"}))}
	}
	out, err := nb.Marshal()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(out))
	// Output:
	// {
	//  "cells": [
	//   {
	//    "cell_type": "markdown",
	//    "metadata": {},
	//    "source": [
	//     "# Report\n",
	//     "Run me."
	//    ]
	//   },
	//   {
	//    "cell_type": "code",
	//    "execution_count": 1,
	//    "metadata": {},
	//    "outputs": [
	//     {
	//      "data": {
	//       "text/plain": [
	//        "42"
	//       ]
	//      },
	//      "execution_count": 1,
	//      "metadata": {},
	//      "output_type": "execute_result"
	//     }
	//    ],
	//    "source": [
	//     "x = 6\n",
	//     "x * 7"
	//    ]
	//   }
	//  ],
	//  "metadata": {
	//   "kernelspec": {
	//    "display_name": "Python 3",
	//    "language": "python",
	//    "name": "python3"
	//   }
	//  },
	//  "nbformat": 4,
	//  "nbformat_minor": 4
	// }
}

// An old notebook is refused with the command that converts it.
func ExampleParse() {
	_, err := notebook.Parse([]byte(`{"metadata": {}, "nbformat": 3, "nbformat_minor": 0, "worksheets": []}`))
	fmt.Println(err)
	// Output:
	// notebook: unsupported nbformat version: nbformat 3; this package reads nbformat 4: convert the notebook with jupyter nbconvert --to notebook --nbformat 4 (or open and save it in Jupyter)
}
