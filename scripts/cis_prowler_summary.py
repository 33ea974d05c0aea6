#!/usr/bin/env python3
"""Summarises a Prowler compliance run for scripts/cis-prowler.

Reads Prowler's findings CSV (one row per check, region and resource) and the framework's compliance CSV (which
CIS requirements each check serves), prints the PASS/FAIL/MANUAL counts and every FAIL, and optionally writes
all findings as a Markdown table.

    cis_prowler_summary.py FINDINGS_CSV COMPLIANCE_CSV [--framework NAME] [--errors PROWLER_LOG]
                           [--refused PROXY_LOG] [--markdown FILE]

With --errors, it also names the checks that crashed (they report nothing) and the AWS operations that failed
(mostly operations the emulator does not implement); with --refused, every connection the proxy refused.
"""

import argparse
import collections
import csv
import re
import sys

STATUSES = ("PASS", "FAIL", "MANUAL")


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def requirement_key(requirement):
    return [int(part) if part.isdigit() else part for part in requirement.split(".")]


def requirements_by_check(compliance_rows):
    """CIS requirement ids per check id, and the requirements that have no automated check at all."""
    by_check = collections.defaultdict(set)
    without_check = set()
    for row in compliance_rows:
        if row["CHECKID"] == "manual":
            without_check.add(row["REQUIREMENTS_ID"])
        else:
            by_check[row["CHECKID"]].add(row["REQUIREMENTS_ID"])
    return by_check, sorted(without_check, key=requirement_key)


def findings(findings_rows, by_check):
    result = []
    for row in findings_rows:
        requirements = sorted(by_check.get(row["CHECK_ID"], ()), key=requirement_key)
        result.append(
            {
                "requirements": ", ".join(requirements),
                "first_requirement": requirement_key(requirements[0]) if requirements else [999],
                "check": row["CHECK_ID"],
                "region": row["REGION"],
                "resource": row["RESOURCE_UID"] or row["RESOURCE_NAME"],
                "status": row["STATUS"],
                "detail": row["STATUS_EXTENDED"],
                "muted": row["MUTED"] == "True",
            }
        )
    result.sort(key=lambda f: (f["first_requirement"], f["check"], f["region"], f["resource"]))
    return result


def print_summary(framework, all_findings, without_check):
    counts = collections.Counter(f["status"] for f in all_findings)
    checks = {f["check"] for f in all_findings}
    regions = sorted({f["region"] for f in all_findings if f["region"]})
    print(f"\nProwler {framework}: {len(all_findings)} findings from {len(checks)} checks in {', '.join(regions)}")
    print("  " + ", ".join(f"{counts.get(status, 0)} {status}" for status in STATUSES))
    others = {status: n for status, n in counts.items() if status not in STATUSES}
    if others:
        print("  other statuses: " + ", ".join(f"{n} {status}" for status, n in sorted(others.items())))
    muted = sum(1 for f in all_findings if f["muted"])
    if muted:
        print(f"  {muted} of them muted")
    if without_check:
        print(f"  requirements without an automated check (manual review): {', '.join(without_check)}")
    failures = [f for f in all_findings if f["status"] == "FAIL"]
    if failures:
        print("\nFAIL:")
        for f in failures:
            print(f"  {f['check']}  [{f['region']}]  {f['resource']}  (CIS {f['requirements']})")
            print(f"      {f['detail']}")


def print_errors(path):
    """Checks that raised (Prowler logs them from check.py) and the failed AWS operations, from Prowler's log."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    crashed = sorted(set(re.findall(r'"filename": "check\.py:\d+".*?"message": "(\w+) -- ([^"\n]*)', text)))
    if crashed:
        print("\nChecks that raised an error and reported nothing:")
        for check, error in crashed:
            print(f"  {check}: {error}")
    operations = collections.Counter()
    entries = re.findall(r'"filename": "([^"]+)", "level": "\w+", "module": "(\w+)", "message": "([^\n]*)', text)
    for filename, module, message in entries:
        if module == "check":
            continue
        match = re.search(r"calling the (\w+) operation", message) or re.search(r"URL: \\?\"?([^\"\\]+)", message)
        if match:
            what = f"{module.replace('_service', '')}: {match.group(1)}"
        else:  # e.g. ResponseParserError: the emulator answered an unknown operation with a non-AWS page
            error = re.search(r"(\w+)\[\d+\]", message)
            what = f"{filename}: {error.group(1) if error else message[:80]}"
        operations[what] += 1
    if operations:
        print("\nAWS calls that failed (each region counted; mostly operations the emulator does not implement):")
        for what, count in sorted(operations.items()):
            print(f"  {what}" + (f" (x{count})" if count > 1 else ""))


def print_refused(path):
    with open(path, encoding="utf-8") as handle:
        refused = [line.strip() for line in handle if line.strip()]
    if refused:
        print(f"\nConnections refused by the proxy (they would have left the machine): {len(refused)}")
        for line, count in collections.Counter(refused).most_common():
            print(f"  {line}" + (f" (x{count})" if count > 1 else ""))
    else:
        print("\nNo connection other than to the emulator was attempted.")


def cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(path, framework, all_findings, without_check):
    counts = collections.Counter(f["status"] for f in all_findings)
    lines = [
        f"Prowler `{framework}` after one `baseline apply`: "
        + ", ".join(f"{counts.get(status, 0)} {status}" for status in STATUSES)
        + ".",
        "",
        "| CIS | check | region | resource | status | detail |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in all_findings:
        lines.append(
            f"| {cell(f['requirements'])} | `{cell(f['check'])}` | {cell(f['region'])} | {cell(f['resource'])} "
            f"| {f['status']} | {cell(f['detail'])} |"
        )
    if without_check:
        lines += ["", f"Requirements without an automated check: {', '.join(without_check)}."]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("findings_csv")
    parser.add_argument("compliance_csv")
    parser.add_argument("--framework", default="cis")
    parser.add_argument("--errors", metavar="PROWLER_LOG")
    parser.add_argument("--refused", metavar="PROXY_LOG")
    parser.add_argument("--markdown", metavar="FILE")
    args = parser.parse_args()

    by_check, without_check = requirements_by_check(read_rows(args.compliance_csv))
    all_findings = findings(read_rows(args.findings_csv), by_check)
    if not all_findings:
        print("error: Prowler reported no findings", file=sys.stderr)
        return 1
    print_summary(args.framework, all_findings, without_check)
    if args.errors:
        print_errors(args.errors)
    if args.refused:
        print_refused(args.refused)
    if args.markdown:
        write_markdown(args.markdown, args.framework, all_findings, without_check)
        print(f"\nMarkdown table: {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
