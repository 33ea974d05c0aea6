//! The IAM policies documented for `plan` and `apply` (examples/iam/, also in README.md) grant every action
//! the code calls, and the plan policy grants only reads.

use std::collections::BTreeSet;
use std::path::Path;

use baseline::aws::guard::is_read_operation;

/// Every `service:Action` string passed to the error mapping in src/.
fn actions_in_code() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for marker in ["err(\"", "from_sdk(\"", "build_error(\""] {
                for piece in text.split(marker).skip(1) {
                    let action = &piece[..piece.find('"').unwrap()];
                    if action.contains(':') && !action.starts_with("test:") {
                        found.insert(action.to_string());
                    }
                }
            }
        }
    }
    found
}

fn policy_actions(file: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/iam").join(file);
    let policy: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    policy["Statement"][0]["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
}

#[test]
fn documented_policies_cover_every_call() {
    let code = actions_in_code();
    assert!(code.len() > 30, "{code:?}");
    let apply = policy_actions("apply-policy.json");
    let missing: Vec<&String> = code.iter().filter(|a| !apply.contains(*a)).collect();
    assert!(missing.is_empty(), "apply-policy.json lacks {missing:?}");

    let plan = policy_actions("plan-policy.json");
    let reads: Vec<&String> = code.iter().filter(|a| is_read_operation(a.split(':').nth(1).unwrap())).collect();
    let missing: Vec<&&String> = reads.iter().filter(|a| !plan.contains(**a)).collect();
    assert!(missing.is_empty(), "plan-policy.json lacks {missing:?}");
    let writes: Vec<&String> = plan.iter().filter(|a| !is_read_operation(a.split(':').nth(1).unwrap())).collect();
    assert!(writes.is_empty(), "plan-policy.json grants writes: {writes:?}");

    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for action in &apply {
        assert!(readme.contains(&format!("\"{action}\"")), "README.md does not list {action}");
    }
}
