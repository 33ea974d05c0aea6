//! `baseline policy`: the policy document, the commentary beside it, and the JSON form.

use std::io::{self, Write};

use serde_json::json;

use super::plural;
use crate::permissions::{self, Command, Need};

/// The policy document alone on `out`, ready for `aws iam create-policy --policy-document file://...`, and
/// beside it on `notes` how many actions, each action on `*` with the reason, and a size warning.
/// `part`: only that part (1-based) of [`permissions::parts`].
pub fn human(
    out: &mut dyn Write,
    notes: &mut dyn Write,
    needs: &[Need],
    command: Command,
    part: Option<usize>,
) -> io::Result<()> {
    let document = permissions::document(needs);
    let parts = permissions::parts(needs);
    let shown = match part {
        Some(k) => parts.get(k - 1).unwrap_or(&document),
        None => &document,
    };
    writeln!(out, "{}", serde_json::to_string_pretty(shown).map_err(io::Error::other)?)?;
    let unscoped = permissions::unscoped(needs);
    let name = match command {
        Command::Plan => "plan",
        Command::Apply => "apply",
    };
    let actions = permissions::action_count(needs);
    writeln!(
        notes,
        "# baseline {name}: {actions} action{}, {} on the baseline's own resources, {} on \"*\":",
        plural(actions),
        actions - unscoped.len(),
        unscoped.len()
    )?;
    for (action, why) in unscoped {
        writeln!(notes, "#   {action}: {why}")?;
    }
    let size = permissions::size(&document);
    let flag = match command {
        Command::Plan => "--plan",
        Command::Apply => "--apply",
    };
    if let Some(k) = part {
        writeln!(notes, "# part {k} of {}: {} characters", parts.len(), permissions::size(shown))?;
    } else if size > permissions::MANAGED_POLICY_MAX {
        let each: Vec<String> = (1..=parts.len()).map(|k| format!("baseline policy {flag} --part {k}")).collect();
        writeln!(
            notes,
            "# {size} characters: more than a managed policy holds ({}); attach it as an inline policy (up to {} \
             per role), or as {} managed policies: {}",
            permissions::MANAGED_POLICY_MAX,
            permissions::INLINE_ROLE_POLICIES_MAX,
            parts.len(),
            each.join(", ")
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
    let document = permissions::document(needs);
    let value = json!({
        "command": command,
        "actions": permissions::action_count(needs),
        "writes": needs.iter().filter(|n| !permissions::is_read(n.action)).count(),
        "size": permissions::size(&document),
        "unscoped": unscoped,
        "policy": document,
        "managed_policy_parts": permissions::parts(needs),
    });
    let text = serde_json::to_string_pretty(&value).map_err(io::Error::other)?;
    writeln!(out, "{text}")
}
