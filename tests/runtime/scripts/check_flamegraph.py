#!/usr/bin/env python3
"""Checks a flame graph: a well-formed SVG document that names each frame
given on the command line. Prints "ok" or why not."""

import sys
import xml.etree.ElementTree as ElementTree

path, *frames = sys.argv[1:]
root = ElementTree.parse(path).getroot()
if not root.tag.endswith("svg"):
    sys.exit(f"{path}: the root element is {root.tag}, not svg")
titles = [t.text or "" for t in root.iter() if t.tag.endswith("title")]
for frame in frames:
    if not any(t.startswith(frame + " ") for t in titles):
        sys.exit(f"{path}: no frame {frame}")
print("ok")
