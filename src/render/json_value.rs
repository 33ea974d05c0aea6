//! JSON values in the text plan, as Terraform shows them: indented, one line per element, and for a policy
//! document only the statements that change (the unchanged ones are counted, not shown).

use serde_json::Value;

/// The value as JSON when it is a document (an object or an array); scalars stay plain text.
pub fn parse(text: &str) -> Option<Value> {
    if !text.trim_start().starts_with(['{', '[']) {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// One rendered line: `'+'`, `'-'` or `' '`, and its text (already indented within the value).
pub type Line = (char, String);

/// The lines of a value added (`+`) or removed (`-`) whole.
pub fn whole(sign: char, value: &Value) -> Vec<Line> {
    pretty(value).lines().map(|l| (sign, l.to_string())).collect()
}

/// The lines showing `before → after`. Policy documents (a `Statement` list on both sides) show the statements
/// only one side has, matched by `Sid` when they have one, and how many are unchanged; any other value shows
/// its lines, the unchanged ones in between elided when there are many.
pub fn change(before: &Value, after: &Value) -> Vec<Line> {
    match (statements(before), statements(after)) {
        (Some(b), Some(a)) => statement_change(before, after, b, a),
        _ => line_diff(&pretty(before), &pretty(after)),
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn statements(policy: &Value) -> Option<Vec<Value>> {
    match policy.get("Statement")? {
        Value::Array(list) => Some(list.clone()),
        single @ Value::Object(_) => Some(vec![single.clone()]),
        _ => None,
    }
}

fn statement_change(before: &Value, after: &Value, old: Vec<Value>, new: Vec<Value>) -> Vec<Line> {
    let mut lines = Vec::new();
    // Top-level fields other than the statements (Version, Id).
    let others = |v: &Value| {
        let mut v = v.clone();
        if let Some(map) = v.as_object_mut() {
            map.remove("Statement");
        }
        v
    };
    let (ob, oa) = (others(before), others(after));
    if ob != oa {
        lines.extend(line_diff(&pretty(&ob), &pretty(&oa)));
    }
    let sid = |s: &Value| s.get("Sid").and_then(Value::as_str).map(str::to_string);
    let unchanged = old.iter().filter(|s| new.contains(s)).count();
    for s in old.iter().filter(|s| !new.contains(s)) {
        match sid(s).and_then(|id| new.iter().find(|n| sid(n).as_deref() == Some(id.as_str()))) {
            // The same statement, edited: its changed lines.
            Some(edited) => lines.extend(line_diff(&pretty(s), &pretty(edited))),
            None => lines.extend(whole('-', s)),
        }
    }
    for s in new.iter().filter(|s| !old.contains(s)) {
        let edited = sid(s).is_some_and(|id| old.iter().any(|o| sid(o).as_deref() == Some(id.as_str())));
        if !edited {
            lines.extend(whole('+', s));
        }
    }
    if unchanged > 0 {
        let plural = if unchanged == 1 { "" } else { "s" };
        lines.push((' ', format!("# ({unchanged} unchanged statement{plural} hidden)")));
    }
    lines
}

/// Unchanged lines kept around each change.
const CONTEXT: usize = 2;

/// A line diff (longest common subsequence): removed lines `-`, added `+`, unchanged ones within
/// [`CONTEXT`] lines of a change kept, longer unchanged runs replaced by a count.
fn line_diff(before: &str, after: &str) -> Vec<Line> {
    let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    let mut lcs = vec![vec![0usize; a.len() + 1]; b.len() + 1];
    for i in (0..b.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if b[i] == a[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut all: Vec<Line> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < b.len() || j < a.len() {
        if i < b.len() && j < a.len() && b[i] == a[j] {
            all.push((' ', b[i].to_string()));
            (i, j) = (i + 1, j + 1);
        } else if i < b.len() && (j == a.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            all.push(('-', b[i].to_string()));
            i += 1;
        } else {
            all.push(('+', a[j].to_string()));
            j += 1;
        }
    }
    elide(all)
}

fn elide(all: Vec<Line>) -> Vec<Line> {
    let near = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT).min(all.len().saturating_sub(1));
        (lo..=hi).any(|m| all[m].0 != ' ')
    };
    let mut out = Vec::new();
    let mut hidden = 0;
    for (k, line) in all.iter().enumerate() {
        if line.0 != ' ' || near(k) {
            if hidden > 0 {
                out.push((' ', format!("# ({hidden} unchanged line{} hidden)", if hidden == 1 { "" } else { "s" })));
                hidden = 0;
            }
            out.push(line.clone());
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 {
        out.push((' ', format!("# ({hidden} unchanged line{} hidden)", if hidden == 1 { "" } else { "s" })));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(lines: &[Line]) -> String {
        lines.iter().map(|(s, l)| format!("{s} {l}\n")).collect()
    }

    #[test]
    fn a_policy_shows_only_the_statements_that_change() {
        let keep = json!({"Sid": "Keep", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"});
        let edited_before = json!({"Sid": "Edit", "Effect": "Allow", "Action": "sns:Publish", "Resource": "a"});
        let edited_after = json!({"Sid": "Edit", "Effect": "Allow", "Action": "sns:Publish", "Resource": "b"});
        let gone = json!({"Effect": "Deny", "Action": "*", "Resource": "*"});
        let added = json!({"Sid": "New", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"});
        let before = json!({"Version": "2012-10-17", "Statement": [keep, edited_before, gone]});
        let after = json!({"Version": "2012-10-17", "Statement": [keep, edited_after, added]});
        let shown = text(&change(&before, &after));
        assert!(!shown.contains("s3:GetObject"), "unchanged statements are hidden:\n{shown}");
        assert!(shown.contains("# (1 unchanged statement hidden)"), "{shown}");
        assert!(shown.contains("-   \"Resource\": \"a\"") && shown.contains("+   \"Resource\": \"b\""), "{shown}");
        assert!(shown.contains("-   \"Effect\": \"Deny\""), "{shown}");
        assert!(shown.contains("+   \"Sid\": \"New\""), "{shown}");
        assert!(!shown.contains("Version"), "{shown}");
    }

    #[test]
    fn other_documents_show_their_changed_lines_with_context() {
        let before = json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7});
        let after = json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 8});
        assert_eq!(
            text(&change(&before, &after)),
            "  # (5 unchanged lines hidden)\n    \"e\": 5,\n    \"f\": 6,\n-   \"g\": 7\n+   \"g\": 8\n  }\n"
        );
    }

    #[test]
    fn only_documents_are_json() {
        assert!(parse("{\"a\":1}").is_some());
        assert!(parse("[1]").is_some());
        assert!(parse("plain").is_none());
        assert!(parse("{not json").is_none());
        assert!(parse("42").is_none());
    }
}
