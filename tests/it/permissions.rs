//! The IAM policies shipped in examples/iam/ are exactly what `baseline policy` generates for the shipped
//! baseline.toml, and the README explains every action granted on `*`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `baseline policy <args>` for a baseline file; makes no AWS call and needs no credentials.
fn generated(config: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_baseline"))
        .arg("-c")
        .arg(config)
        .arg("policy")
        .args(args)
        .env_clear()
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_example_policies_are_the_generated_ones() {
    for (file, flag) in [("plan-policy.json", "--plan"), ("apply-policy.json", "--apply")] {
        let shipped = std::fs::read_to_string(root().join("examples/iam").join(file)).unwrap();
        let now = generated(&root().join("baseline.toml"), &[flag]);
        assert_eq!(shipped, now, "examples/iam/{file} is stale: regenerate it with `baseline policy {flag}`");
    }
}

#[test]
fn the_readme_explains_every_action_on_any_resource() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("baseline.toml");
    let org = std::fs::read_to_string(root().join("baseline.toml")).unwrap() + "\n[accounts]\norganization = true\n";
    std::fs::write(&config, org).unwrap();
    let report: Value = serde_json::from_str(&generated(&config, &["--apply", "--json"])).unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let unscoped = report["unscoped"].as_array().unwrap();
    assert!(unscoped.len() > 10);
    for entry in unscoped {
        let action = entry["action"].as_str().unwrap();
        assert!(readme.contains(&format!("| `{action}` |")), "README.md's table does not explain {action} on *");
    }
}
