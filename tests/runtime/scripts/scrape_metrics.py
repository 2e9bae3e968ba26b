#!/usr/bin/env python3
"""Scrapes a Prometheus endpoint the way a Prometheus server does and checks
the text exposition format (version 0.0.4) line by line.

usage: scrape_metrics.py URL

Prints each sample as `name{label="value",...} value` (labels as sent), then
`families: N`. Exits 1, naming the line, on anything a Prometheus server
would reject: a bad content type, a sample before its TYPE line, a malformed
name, label or value, a histogram whose buckets are not cumulative or do
not end with le="+Inf" equal to _count.
"""
import re
import sys
import urllib.request

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(
    rf"^({NAME})(\{{(?:{LABEL})(?:,{LABEL})*\}})? "
    r"(-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|NaN|\+Inf|-Inf)$"
)
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def fail(why, line):
    print(f"invalid exposition: {why}: {line!r}", file=sys.stderr)
    sys.exit(1)


def main(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        content_type = response.headers.get("Content-Type", "")
        body = response.read().decode("utf-8")
    if not content_type.startswith("text/plain; version=0.0.4"):
        fail("content type", content_type)
    types = {}
    buckets = {}
    for line in body.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            if kind not in TYPES or not re.fullmatch(NAME, name) or name in types:
                fail("TYPE line", line)
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        if not match:
            fail("sample syntax", line)
        name, labels, value = match.group(1), match.group(2) or "", match.group(3)
        family = name
        for suffix in ("_total", "_bucket", "_sum", "_count"):
            if family not in types and name.endswith(suffix):
                family = name[: -len(suffix)]
        if family not in types:
            fail("sample without a TYPE line", line)
        if types[family] == "histogram" and name.endswith("_bucket"):
            series = re.sub(r',?le="[^"]*"', "", labels).replace("{,", "{")
            series = "" if series == "{}" else series
            previous = buckets.get((family, series), (None, -1))[1]
            if float(value) < previous:
                fail("buckets not cumulative", line)
            buckets[(family, series)] = ('le="+Inf"' in labels, float(value))
        if types[family] == "histogram" and name.endswith("_count"):
            inf_seen, last = buckets.get((family, labels), (False, -1))
            if not inf_seen or last != float(value):
                fail('_count differs from the le="+Inf" bucket', line)
        print(f"{name}{labels} {value}")
    print(f"families: {len(types)}")


if __name__ == "__main__":
    main(sys.argv[1])
