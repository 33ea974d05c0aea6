"""Fleet benchmark: `baseline plan` over organizations of growing size, against the local emulator.

For each size it starts a fresh moto_server, creates an organization (the management account plus members),
and measures `baseline plan --json` on the empty fleet, then after `apply` on the compliant fleet: wall time,
AWS API calls per account and per account-region against the resources planned per account, and the peak
resident memory of the baseline process. Run it with scripts/bench-fleet.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "target" / "release" / "baseline"
MOTO = ROOT / ".venv" / "bin" / "moto_server"
REGIONS = ["us-east-1", "eu-west-1"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto():
    port = free_port()
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    proc = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    raise SystemExit("moto_server did not start")


def create_organization(endpoint, accounts):
    org = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    org.create_organization(FeatureSet="ALL")
    members = []
    for i in range(accounts - 1):
        out = org.create_account(Email=f"member-{i}@example.com", AccountName=f"member-{i}")
        members.append(out["CreateAccountStatus"]["AccountId"])
    return members


def baseline_toml(archive):
    text = (ROOT / "baseline.toml").read_text()
    text = text.replace('regions = "all-enabled"', f"regions = {json.dumps(REGIONS)}")
    text = text.replace('bucket = "baseline-logs-{account_id}-{region}"',
                        f'bucket = "baseline-logs-{{account_id}}-{{region}}"\naccount_id = "{archive}"')
    return text + "\n[accounts]\norganization = true\n"


def run(workdir, endpoint, *args):
    """Runs baseline; returns (exit code, seconds, peak RSS in MiB, the summary JSON line)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workdir),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    # Peak memory through /usr/bin/time: a child forked from this (large) Python process would report this
    # process's pages as its own peak, since Linux keeps the high-water mark across exec.
    rss_file = Path(workdir) / "peak-rss-kib"
    start = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(rss_file), str(BASELINE), "--endpoint-url",
                             endpoint, "--color", "never", *args],
                            cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    status = proc.wait()
    seconds = time.monotonic() - start
    peak_kib = int(rss_file.read_text().split()[-1])
    summary = None
    resources = 0
    for line in out.decode().splitlines():
        record = json.loads(line)
        if record.get("type") == "summary":
            summary = record
        elif record.get("plan"):
            # Every resource the plan looked at: a change (any action), or a notice about it.
            resources += len(record["plan"]["changes"]) + len(record["plan"]["notices"])
    summary["resources"] = resources
    return status, seconds, peak_kib / 1024, summary


def measure(label, accounts, workdir, endpoint):
    code, seconds, rss, summary = run(workdir, endpoint, "plan", "--json")
    calls = summary["api_calls"]
    return {
        "fleet": label,
        "accounts": accounts,
        "exit": code,
        "seconds": round(seconds, 2),
        "reads": calls["reads"],
        "writes": calls["writes"],
        "reads_per_account": round(calls["reads"] / accounts, 1),
        "reads_per_account_region": round(calls["reads"] / (accounts * len(REGIONS)), 1),
        "resources_per_account": round(summary["resources"] / accounts, 1),
        "reads_per_resource": round(calls["reads"] / max(summary["resources"], 1), 2),
        "peak_rss_mib": round(rss, 1),
        "in_sync": summary["in_sync"],
        "failed": summary["failed"],
    }


def main():
    sizes = [int(s) for s in sys.argv[1:]] or [10, 50, 200]
    rows = []
    for size in sizes:
        moto, endpoint = start_moto()
        try:
            members = create_organization(endpoint, size)
            with tempfile.TemporaryDirectory() as tmp:
                workdir = Path(tmp)
                (workdir / "baseline.toml").write_text(baseline_toml(members[0]))
                rows.append(measure("empty", size, workdir, endpoint))
                code, seconds, rss, summary = run(workdir, endpoint, "apply", "--auto-approve", "--json")
                print(f"# {size} accounts: apply exit {code} in {seconds:.1f} s, {summary['api_calls']['writes']} writes, "
                      f"{summary['failed']} failed", file=sys.stderr)
                rows.append(measure("compliant", size, workdir, endpoint))
        finally:
            moto.terminate()
            moto.wait()
        print(json.dumps(rows[-2]), file=sys.stderr)
        print(json.dumps(rows[-1]), file=sys.stderr)
    columns = ["fleet", "accounts", "seconds", "reads", "reads_per_account", "reads_per_account_region",
               "resources_per_account", "reads_per_resource", "peak_rss_mib", "in_sync", "failed"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")


if __name__ == "__main__":
    main()
