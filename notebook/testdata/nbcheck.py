"""Check notebooks with Jupyter's own nbformat package, and make the fixtures.

Run by nbformat_test.go in a virtual environment with the pinned nbformat:

    python nbcheck.py validate FILE...
    python nbcheck.py fixtures DIR

validate reads each FILE as Jupyter does (nbformat.read(..., as_version=4))
with every warning an error (a missing cell id is only a warning), validates
it (nbformat.validate) and prints one JSON line a file: {"file", "error"} on
failure, else {"file", "rewritten", "notebook"}: the file as nbformat.write
writes it back, and the notebook as nbformat holds it in memory (multiline
texts joined), for the Go test to compare with its own.

fixtures writes the notebooks the Go tests read (the committed
testdata/*.ipynb, so that those tests need no Python): one notebook as
nbformat 4.5 with ids, the same as 4.5 with sources and texts as single
strings (split_lines=False), and as 4.0 without ids or attachments, which
4.0 lacks. Ids are fixed so that the files are reproducible.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import traceback
import warnings

import nbformat
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
    new_raw_cell,
)

# A 1x1 PNG: content, not a placeholder, so that a reader may decode it.
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)


def validate(paths: list[str]) -> int:
    status = 0
    for path in paths:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                nb = nbformat.read(path, as_version=4)
                nbformat.validate(nb)
                rewritten = nbformat.writes(nb)
            if not rewritten.endswith("\n"):
                rewritten += "\n"  # as nbformat.write ends a file
            line = {"file": path, "rewritten": rewritten, "notebook": nb}
        except Exception as e:  # every failure is the Go test's to report
            status = 1
            line = {"file": path, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
        print(json.dumps(line), flush=True)
    return status


def fixture_cells() -> list:
    return [
        new_markdown_cell("# A fixture\n\nWritten by *nbformat* for the Go tests.", id="intro"),
        new_code_cell(
            "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n1 + 1",
            id="streams",
            execution_count=1,
            outputs=[
                new_output("stream", name="stdout", text="to stdout\n"),
                new_output("stream", name="stderr", text="to stderr\n"),
                new_output("execute_result", data={"text/plain": "2"}, execution_count=1),
            ],
        ),
        new_code_cell(
            "plot()",
            id="figure",
            execution_count=2,
            metadata={"tags": ["figure"], "scrolled": False},
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "image/png": PNG,
                        "text/plain": "<Figure size 640x480 with 1 Axes>",
                        "application/json": {"points": [1, 2.5, None], "ok": True},
                    },
                    metadata={"image/png": {"width": 1, "height": 1}},
                ),
            ],
        ),
        new_code_cell(
            "1 / 0",
            id="error",
            execution_count=3,
            outputs=[
                new_output(
                    "error",
                    ename="ZeroDivisionError",
                    evalue="division by zero",
                    traceback=[
                        "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
                        "\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)",
                        "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m \x1b[38;5;241m1\x1b[39m \x1b[38;5;241m/\x1b[39m \x1b[38;5;241m0\x1b[39m\n",
                        "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
                    ],
                ),
            ],
        ),
        new_raw_cell(".. note:: raw text for nbconvert", id="raw", metadata={"format": "text/x-rst"}),
        new_markdown_cell(
            "![dot](attachment:dot.png)\r\nA line ended by CRLF; a <b>tag</b> & an ampersand; é ✓",
            id="attached",
            attachments={"dot.png": {"image/png": PNG}},
        ),
        new_code_cell("# never run\n", id="unrun"),
    ]


def fixture_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(
        cells=fixture_cells(),
        metadata={
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {
                "codemirror_mode": {"name": "ipython", "version": 3},
                "file_extension": ".py",
                "mimetype": "text/x-python",
                "name": "python",
                "nbconvert_exporter": "python",
                "pygments_lexer": "ipython3",
                "version": "3.11.7",
            },
            "custom": {"ratio": 0.5, "big": 12345678901234567890},
        },
    )
    return nb


def fixtures(out: str) -> int:
    nb = fixture_notebook()
    nbformat.validate(nb)
    write(out, "v4.5.ipynb", nbformat.writes(nb))
    write(out, "v4.5-strings.ipynb", nbformat.writes(nb, split_lines=False))

    old = copy.deepcopy(nb)
    old.nbformat_minor = 0
    old.cells = [c for c in old.cells if "attachments" not in c]
    for c in old.cells:
        del c["id"]
    nbformat.validate(old)
    write(out, "v4.0.ipynb", nbformat.writes(old))
    return 0


def write(out: str, name: str, text: str) -> None:
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write(text if text.endswith("\n") else text + "\n")


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "validate":
        return validate(sys.argv[2:])
    if len(sys.argv) == 3 and sys.argv[1] == "fixtures":
        return fixtures(sys.argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
