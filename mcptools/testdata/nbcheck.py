"""Check a notebook with Jupyter's nbformat: read it as version 4 (warnings
are errors), validate it, and print a summary as one JSON line: for each
cell its type, execution count and outputs (type, and for displays and
results their MIME types; for errors the exception's name)."""

import json
import sys
import warnings

import nbformat

warnings.simplefilter("error")
nb = nbformat.read(sys.argv[1], as_version=4)
nbformat.validate(nb)
cells = []
for c in nb.cells:
    outs = []
    for o in c.get("outputs", []):
        d = {"type": o["output_type"]}
        if "data" in o:
            d["mimes"] = sorted(o["data"])
        if o["output_type"] == "stream":
            d["name"], d["text"] = o["name"], o["text"]
        if o["output_type"] == "error":
            d["ename"] = o["ename"]
        outs.append(d)
    cells.append({"type": c["cell_type"], "count": c.get("execution_count"), "outputs": outs, "source": c["source"]})
print(json.dumps({"nbformat": nb.nbformat, "minor": nb.nbformat_minor, "cells": cells}))
