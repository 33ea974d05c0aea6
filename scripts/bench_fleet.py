"""Fleet benchmark: `baseline plan` over organizations of growing size, against the local emulator.

For each size it starts a fresh moto_server, creates an organization (the management account plus members),
and measures `baseline plan --json` on the empty fleet, then after `apply` on the compliant fleet: wall time,
AWS API calls per account and per account-region against the resources planned per account, the peak
resident memory of the baseline process, and the size of the log archive's bucket policy (planned, then as
applied) against S3's 20,480-byte limit. A size written `N:plan` only plans (no apply). Run it with
scripts/bench-fleet; BASELINE_BIN picks another build of baseline (e.g. target/debug/baseline for sizes only).
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
BASELINE = Path(os.environ.get("BASELINE_BIN", ROOT / "target" / "release" / "baseline"))
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
    policy_bytes = None
    for line in out.decode().splitlines():
        record = json.loads(line)
        if record.get("type") == "summary":
            summary = record
        elif record.get("plan"):
            # Every resource the plan looked at: a change (any action), or a notice about it.
            resources += len(record["plan"]["changes"]) + len(record["plan"]["notices"])
            policy_bytes = planned_policy_bytes(record["plan"]) or policy_bytes
    summary["resources"] = resources
    summary["policy_bytes"] = policy_bytes
    return status, seconds, peak_kib / 1024, summary


def planned_policy_bytes(plan):
    """The size the plan gives the log archive's bucket policy it would write, if it writes one."""
    for change in plan["changes"]:
        if "/s3.bucket_policy/" in change.get("address", ""):
            for attribute in change.get("attributes", []):
                if attribute.get("name") == "size_bytes" and attribute.get("after"):
                    return int(attribute["after"])
    return None


def applied_policy_bytes(endpoint, archive):
    """The archive bucket's policy as S3 holds it, read through the archive account's role."""
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{archive}:role/OrganizationAccountAccessRole",
                            RoleSessionName="bench")["Credentials"]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"])
    bucket = f"baseline-logs-{archive}-us-east-1"
    return len(json.dumps(json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]), separators=(",", ":")))


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
        "policy_bytes": summary["policy_bytes"],
    }


def main():
    sizes = sys.argv[1:] or ["10", "50", "200"]
    rows = []
    for spec in sizes:
        size, plan_only = int(spec.split(":")[0]), spec.endswith(":plan")
        moto, endpoint = start_moto()
        try:
            members = create_organization(endpoint, size)
            with tempfile.TemporaryDirectory() as tmp:
                workdir = Path(tmp)
                (workdir / "baseline.toml").write_text(baseline_toml(members[0]))
                rows.append(measure("empty", size, workdir, endpoint))
                print(json.dumps(rows[-1]), file=sys.stderr)
                if not plan_only:
                    code, seconds, rss, summary = run(workdir, endpoint, "apply", "--auto-approve", "--json")
                    print(f"# {size} accounts: apply exit {code} in {seconds:.1f} s, "
                          f"{summary['api_calls']['writes']} writes, {summary['failed']} failed", file=sys.stderr)
                    rows.append(measure("compliant", size, workdir, endpoint))
                    rows[-1]["policy_bytes"] = applied_policy_bytes(endpoint, members[0])
                    print(json.dumps(rows[-1]), file=sys.stderr)
        finally:
            moto.terminate()
            moto.wait()
    columns = ["fleet", "accounts", "seconds", "reads", "reads_per_account", "reads_per_account_region",
               "resources_per_account", "reads_per_resource", "peak_rss_mib", "in_sync", "failed", "policy_bytes"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")


if __name__ == "__main__":
    main()
