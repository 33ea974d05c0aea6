//! `baseline policy`: the policy document, the commentary beside it, and the JSON form.

use std::io::{self, Write};

use serde_json::json;

use super::plural;
use crate::permissions::{self, Command, Need};

/// The policy document alone, ready for `aws iam create-policy --policy-document file://...`.
pub fn document(out: &mut dyn Write, needs: &[Need]) -> io::Result<()> {
    let text = serde_json::to_string_pretty(&permissions::document(needs)).map_err(io::Error::other)?;
    writeln!(out, "{text}")
}

/// How many actions, and each action on `*` with the reason.
pub fn commentary(out: &mut dyn Write, needs: &[Need], command: Command) -> io::Result<()> {
    let unscoped = permissions::unscoped(needs);
    let name = match command {
        Command::Plan => "plan",
        Command::Apply => "apply",
    };
    let actions = permissions::action_count(needs);
    writeln!(
        out,
        "# baseline {name}: {actions} action{}, {} on the baseline's own resources, {} on \"*\":",
        plural(actions),
        actions - unscoped.len(),
        unscoped.len()
    )?;
    for (action, why) in unscoped {
        writeln!(out, "#   {action}: {why}")?;
    }
    let size = permissions::size(&permissions::document(needs));
    if size > permissions::MANAGED_POLICY_MAX {
        writeln!(
            out,
            "# {size} characters: more than a managed policy holds ({}); attach it as an inline policy (up to {} \
             per role) or split its statements over two managed policies",
            permissions::MANAGED_POLICY_MAX,
            permissions::INLINE_ROLE_POLICIES_MAX
        )?;
    }
    Ok(())
}

/// `{"command", "actions", "unscoped": [{action, reason}], "policy"}`.
pub fn json(out: &mut dyn Write, needs: &[Need], command: Command) -> io::Result<()> {
    let unscoped: Vec<_> = permissions::unscoped(needs)
        .into_iter()
        .map(|(action, why)| json!({"action": action, "reason": why}))
        .collect();
    let value = json!({
        "command": command,
        "actions": permissions::action_count(needs),
        "writes": needs.iter().filter(|n| !permissions::is_read(n.action)).count(),
        "size": permissions::size(&permissions::document(needs)),
        "unscoped": unscoped,
        "policy": permissions::document(needs),
    });
    let text = serde_json::to_string_pretty(&value).map_err(io::Error::other)?;
    writeln!(out, "{text}")
}
