#!/usr/bin/env python3
"""Runs the mapping test cases beside the stylesheets (mappings/*/cases.yaml) through
`egovbus map`: each case gives a stylesheet, params, an input (JSON or XML text) and either the
expected output (JSON compared as data, XML compared canonicalized) or the expected error text.

Usage: run_cases.py path/to/egovbus [mappings/PROFILE/cases.yaml ...]"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def normalized(text):
    text = text.strip()
    if text.startswith("{") or text.startswith("["):
        return json.loads(text)
    return ET.canonicalize(text, strip_text=True)


def main():
    egovbus = os.path.abspath(sys.argv[1])
    files = sys.argv[2:] or sorted(glob.glob(f"{ROOT}/mappings/*/cases.yaml"))
    passed = failed = 0
    for path in files:
        folder = os.path.dirname(path)
        with open(path, encoding="utf-8") as f:
            cases = yaml.safe_load(f)["cases"]
        for case in cases:
            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
                f.write(case["input"])
            command = [egovbus, "map", os.path.join(folder, case["stylesheet"]), f.name]
            for name, value in (case.get("params") or {}).items():
                command += ["--param", f"{name}={value}"]
            run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
            os.unlink(f.name)
            where = f"{os.path.relpath(path, ROOT)}: {case['name']}"
            if "error" in case:
                ok = run.returncode != 0 and case["error"] in run.stderr
                got = run.stderr.strip()
            else:
                try:
                    ok = run.returncode == 0 and normalized(run.stdout) == normalized(case["expected"])
                except (ValueError, ET.ParseError):
                    ok = False
                got = run.stdout.strip() or run.stderr.strip()
            if ok:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {where}\n  got: {got}")
    print(f"mapping cases: {passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
