#!/usr/bin/env python3
"""Converts docs/openapi.yaml to the JSON the server embeds and serves at GET /oxm/v1/openapi.json.

Usage: openapi-json.py INPUT.yaml OUTPUT.json  (run by the build, service/CMakeLists.txt).
Uses Debian's python3-yaml (PyYAML, safe loader). Fails on anything JSON cannot hold (e.g. an
unquoted date that YAML reads as a timestamp), so such a mistake breaks the build, not clients.
"""
import json
import sys

import yaml


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as source:
        document = yaml.safe_load(source)
    if not isinstance(document, dict) or document.get("openapi") != "3.1.0":
        print(f"{sys.argv[1]}: not an OpenAPI 3.1.0 document", file=sys.stderr)
        return 1
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    with open(sys.argv[2], "w", encoding="utf-8") as target:
        target.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
