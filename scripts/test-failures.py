#!/usr/bin/env python3
"""Prints each failed test of a `dotnet test` run from its TRX files, with its message and the top of its stack.

scripts/test.sh calls it after the run: a CI log keeps only its tail, and the console logger prints a
failure in the middle of thousands of server log lines.
"""
import glob
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def main(folder: str) -> int:
    failed = []
    counts = {}
    for path in sorted(glob.glob(f"{folder}/**/*.trx", recursive=True)):
        root = ET.parse(path).getroot()
        for result in root.iterfind(".//t:UnitTestResult", NS):
            outcome = result.get("outcome", "")
            counts[outcome] = counts.get(outcome, 0) + 1
            if outcome == "Failed":
                info = result.find("t:Output/t:ErrorInfo", NS)
                message = info.findtext("t:Message", "", NS) if info is not None else ""
                stack = info.findtext("t:StackTrace", "", NS) if info is not None else ""
                failed.append((result.get("testName", "?"), result.get("duration", ""), message, stack))

    summary = ", ".join(f"{n} {o.lower()}" for o, n in sorted(counts.items()))
    print(f"\ntest.sh: {summary or 'no results'}")
    for name, duration, message, stack in failed:
        print(f"\nFAILED {name} ({duration})")
        print("  " + message.strip().replace("\n", "\n  "))
        for line in stack.strip().splitlines()[:12]:
            print("    " + line.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
