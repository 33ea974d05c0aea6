//! A small JSON Schema (draft-07) validator for the two schemas under schema/: exactly the keywords they use, and
//! nothing else. [`unknown_keywords`] fails on any other keyword, so a schema cannot lean on a keyword these tests
//! would silently skip. `pattern` is matched by [`Regex`], a backtracking matcher for the subset of ECMA-262
//! regular expressions the schemas use (it rejects any other syntax), so no regex crate is needed.

use serde_json::Value;

/// Keywords that only document: editors show them, validation ignores them.
const ANNOTATIONS: &[&str] = &["$schema", "title", "description", "examples", "default"];
/// Keywords [`validate`] checks.
const ASSERTIONS: &[&str] = &[
    "type",
    "enum",
    "properties",
    "additionalProperties",
    "required",
    "propertyNames",
    "items",
    "anyOf",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "$ref",
];
/// Keywords that hold subschemas without asserting anything.
const CONTAINERS: &[&str] = &["definitions"];
const TYPES: &[&str] = &["object", "array", "string", "integer", "number", "boolean", "null"];

/// The node `$ref` points at (following chains), or `node` itself. Only local references (`#/...`) exist.
pub fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(pointer) => {
            let target = pointer.strip_prefix('#').expect("only local references");
            resolve(root, root.pointer(target).unwrap_or_else(|| panic!("dangling $ref {pointer}")))
        }
        None => node,
    }
}

/// What is wrong with the schema itself, one line per problem with its JSON pointer: a keyword [`validate`] does
/// not know, a `$ref` that does not resolve, a keyword of the wrong shape, a pattern [`Regex`] cannot read.
pub fn unknown_keywords(root: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if root.get("$schema") != Some(&Value::from("http://json-schema.org/draft-07/schema#")) {
        problems.push("/: $schema is not draft-07".to_string());
    }
    walk_schema(root, root, "", &mut problems);
    problems
}

fn walk_schema(root: &Value, node: &Value, at: &str, problems: &mut Vec<String>) {
    let Some(keywords) = node.as_object() else {
        // `additionalProperties: false` and `true` are the only non-object schemas used.
        if !node.is_boolean() {
            problems.push(format!("{at}: a schema is an object or a boolean, not {node}"));
        }
        return;
    };
    for (keyword, value) in keywords {
        let here = format!("{at}/{keyword}");
        let known = [ANNOTATIONS, ASSERTIONS, CONTAINERS].iter().any(|list| list.contains(&keyword.as_str()));
        if !known {
            problems.push(format!("{here}: keyword `{keyword}` is not checked by tests/it/json_schema.rs"));
            continue;
        }
        if keywords.contains_key("$ref") && !ANNOTATIONS.contains(&keyword.as_str()) && keyword != "$ref" {
            problems.push(format!("{here}: draft-07 ignores the siblings of $ref"));
        }
        if let Err(problem) = shape(root, keyword, value) {
            problems.push(format!("{here}: {problem}"));
            continue;
        }
        match keyword.as_str() {
            "properties" | "definitions" => {
                for (name, child) in value.as_object().into_iter().flatten() {
                    walk_schema(root, child, &format!("{here}/{name}"), problems);
                }
            }
            "additionalProperties" | "items" | "propertyNames" => walk_schema(root, value, &here, problems),
            "anyOf" => {
                for (i, child) in value.as_array().into_iter().flatten().enumerate() {
                    walk_schema(root, child, &format!("{here}/{i}"), problems);
                }
            }
            _ => {}
        }
    }
}

/// Whether the value of `keyword` has the shape draft-07 gives it (and this validator reads).
fn shape(root: &Value, keyword: &str, value: &Value) -> Result<(), String> {
    let strings = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
    let ok = match keyword {
        "type" => match value {
            Value::String(t) => TYPES.contains(&t.as_str()),
            Value::Array(ts) => ts.iter().all(|t| t.as_str().is_some_and(|t| TYPES.contains(&t))),
            _ => false,
        },
        "enum" | "anyOf" => value.as_array().is_some_and(|a| !a.is_empty()),
        "required" => strings(value),
        "examples" => value.is_array(),
        "properties" | "definitions" => value.is_object(),
        "items" => value.is_object(), // the tuple form (an array) is not supported
        "additionalProperties" | "propertyNames" => value.is_object() || value.is_boolean(),
        "minimum" | "maximum" => value.is_number(),
        "minLength" | "maxLength" => value.is_u64(),
        "$schema" | "title" | "description" => value.is_string(),
        "pattern" => return value.as_str().ok_or("not a string".to_string()).and_then(Regex::new).map(drop),
        "$ref" => {
            let pointer = value.as_str().and_then(|r| r.strip_prefix('#'));
            return match pointer {
                Some(pointer) if root.pointer(pointer).is_some() => Ok(()),
                _ => Err(format!("$ref {value} does not resolve in this file")),
            };
        }
        _ => true,
    };
    if ok { Ok(()) } else { Err(format!("`{keyword}` has the wrong shape: {value}")) }
}

/// Why `instance` does not validate against `root`, one line per problem, each starting with the JSON pointer of
/// the offending value (`/` for the whole document).
pub fn violations(root: &Value, instance: &Value) -> Vec<String> {
    violations_of(root, root, instance)
}

/// [`violations`] against one `node` of the schema `root`.
pub fn violations_of(root: &Value, node: &Value, instance: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    validate(root, node, instance, "", &mut problems);
    problems
}

/// Every `default` and `examples` entry of the schema, with where it is, that does not validate against the node
/// it documents: what an editor would offer must be accepted.
pub fn bad_annotations(root: &Value, node: &Value, at: &str) -> Vec<String> {
    let Some(keywords) = node.as_object() else { return Vec::new() };
    let mut problems = Vec::new();
    let examples = keywords.get("examples").and_then(Value::as_array).into_iter().flatten();
    for (what, value) in
        keywords.get("default").map(|d| ("default", d)).into_iter().chain(examples.map(|e| ("examples", e)))
    {
        for problem in violations_of(root, node, value) {
            problems.push(format!("{at}/{what}: {value} is not valid: {problem}"));
        }
    }
    for (keyword, value) in keywords {
        let here = format!("{at}/{keyword}");
        match keyword.as_str() {
            "properties" | "definitions" => {
                for (name, child) in value.as_object().into_iter().flatten() {
                    problems.extend(bad_annotations(root, child, &format!("{here}/{name}")));
                }
            }
            "additionalProperties" | "items" | "propertyNames" => problems.extend(bad_annotations(root, value, &here)),
            "anyOf" => {
                for (i, child) in value.as_array().into_iter().flatten().enumerate() {
                    problems.extend(bad_annotations(root, child, &format!("{here}/{i}")));
                }
            }
            _ => {}
        }
    }
    problems
}

fn validate(root: &Value, node: &Value, instance: &Value, at: &str, problems: &mut Vec<String>) {
    let node = resolve(root, node);
    let Some(keywords) = node.as_object() else {
        if node == &Value::Bool(false) {
            problems.push(format!("{}: no value is allowed here", shown(at)));
        }
        return;
    };
    if let Some(types) = keywords.get("type") {
        let allowed: Vec<&str> = match types {
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            t => t.as_str().into_iter().collect(),
        };
        if !allowed.iter().any(|t| is_type(instance, t)) {
            problems.push(format!("{}: {instance} is not of type {}", shown(at), allowed.join(" or ")));
            return;
        }
    }
    if let Some(allowed) = keywords.get("enum").and_then(Value::as_array)
        && !allowed.contains(instance)
    {
        problems.push(format!("{}: {instance} is not one of {}", shown(at), Value::from(allowed.clone())));
    }
    if let Some(branches) = keywords.get("anyOf").and_then(Value::as_array) {
        let mut why = Vec::new();
        if !branches.iter().any(|b| {
            let mut p = Vec::new();
            validate(root, b, instance, at, &mut p);
            why.extend(p.iter().cloned());
            p.is_empty()
        }) {
            problems.push(format!("{}: {instance} matches none of anyOf ({})", shown(at), why.join("; ")));
        }
    }
    match instance {
        Value::Number(n) => number(keywords, n.as_f64().unwrap_or(f64::NAN), at, problems),
        Value::String(s) => string(keywords, s, at, problems),
        Value::Array(items) => {
            if let Some(item) = keywords.get("items") {
                for (i, value) in items.iter().enumerate() {
                    validate(root, item, value, &format!("{at}/{i}"), problems);
                }
            }
        }
        Value::Object(fields) => object(root, keywords, fields, at, problems),
        Value::Bool(_) | Value::Null => {}
    }
}

fn object(
    root: &Value,
    keywords: &serde_json::Map<String, Value>,
    fields: &serde_json::Map<String, Value>,
    at: &str,
    problems: &mut Vec<String>,
) {
    for key in keywords.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if !fields.contains_key(key) {
            problems.push(format!("{}: missing required key \"{key}\"", shown(at)));
        }
    }
    let properties = keywords.get("properties").and_then(Value::as_object);
    for (key, value) in fields {
        let here = format!("{at}/{key}");
        if let Some(names) = keywords.get("propertyNames") {
            let mut p = Vec::new();
            validate(root, names, &Value::from(key.as_str()), &here, &mut p);
            problems.extend(p.into_iter().map(|p| format!("{p} (as a key)")));
        }
        match (properties.and_then(|p| p.get(key)), keywords.get("additionalProperties")) {
            (Some(child), _) => validate(root, child, value, &here, problems),
            (None, Some(Value::Bool(false))) => {
                problems.push(format!("{}: unknown key \"{key}\" (additionalProperties is false)", shown(at)));
            }
            (None, Some(extra)) => validate(root, extra, value, &here, problems),
            (None, None) => {}
        }
    }
}

fn number(keywords: &serde_json::Map<String, Value>, n: f64, at: &str, problems: &mut Vec<String>) {
    if let Some(min) = keywords.get("minimum").and_then(Value::as_f64).filter(|min| n < *min) {
        problems.push(format!("{}: {n} is less than the minimum {min}", shown(at)));
    }
    if let Some(max) = keywords.get("maximum").and_then(Value::as_f64).filter(|max| n > *max) {
        problems.push(format!("{}: {n} is more than the maximum {max}", shown(at)));
    }
}

fn string(keywords: &serde_json::Map<String, Value>, s: &str, at: &str, problems: &mut Vec<String>) {
    let length = s.chars().count() as u64;
    if let Some(min) = keywords.get("minLength").and_then(Value::as_u64).filter(|min| length < *min) {
        problems.push(format!("{}: \"{s}\" is shorter than {min} characters", shown(at)));
    }
    if let Some(max) = keywords.get("maxLength").and_then(Value::as_u64).filter(|max| length > *max) {
        problems.push(format!("{}: \"{s}\" is longer than {max} characters", shown(at)));
    }
    if let Some(pattern) = keywords.get("pattern").and_then(Value::as_str) {
        let regex = Regex::new(pattern).unwrap_or_else(|e| panic!("pattern {pattern}: {e}"));
        if !regex.is_match(s) {
            problems.push(format!("{}: \"{s}\" does not match the pattern {pattern}", shown(at)));
        }
    }
}

fn is_type(instance: &Value, name: &str) -> bool {
    match name {
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "boolean" => instance.is_boolean(),
        "null" => instance.is_null(),
        "number" => instance.is_number(),
        // draft-07: any number with a zero fractional part
        "integer" => instance.is_i64() || instance.is_u64() || instance.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

fn shown(at: &str) -> &str {
    if at.is_empty() { "/" } else { at }
}

/// A regular expression in the subset of ECMA-262 the schemas use: literals, `.`, `^`, `$`, classes (`[a-z0-9_-]`,
/// `[^@\s]`) with `\s` and `\d`, groups with alternation (`(key|alias)`), and the quantifiers `*`, `+`, `?`,
/// `{n}`, `{n,}`, `{n,m}`. Anything else (lookaround, backreferences, lazy quantifiers, `\w`, ...) is an error.
/// Like JSON Schema's `pattern`, it is not anchored unless it says so.
#[derive(Debug)]
pub struct Regex(Vec<Vec<Piece>>);

#[derive(Debug)]
struct Piece {
    atom: Atom,
    min: usize,
    max: usize,
}

#[derive(Debug)]
enum Atom {
    Char(char),
    Any,
    Start,
    End,
    /// Negated, ranges (inclusive), and whether it holds `\s`.
    Class(bool, Vec<(char, char)>, bool),
    Group(Vec<Vec<Piece>>),
}

impl Regex {
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut at = 0;
        let alternatives = alternatives(&chars, &mut at)?;
        match chars.get(at) {
            None => Ok(Regex(alternatives)),
            Some(c) => Err(format!("unexpected `{c}` at {at} in {pattern}")),
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        (0..=text.len()).any(|start| self.0.iter().any(|seq| sequence(seq, &text, start, &mut |_| true)))
    }
}

fn alternatives(p: &[char], at: &mut usize) -> Result<Vec<Vec<Piece>>, String> {
    let mut out = vec![Vec::new()];
    while let Some(&c) = p.get(*at) {
        match c {
            ')' => break,
            '|' => {
                *at += 1;
                out.push(Vec::new());
            }
            _ => {
                let atom = atom(p, at)?;
                let (min, max) = quantifier(p, at)?;
                out.last_mut().unwrap().push(Piece { atom, min, max });
            }
        }
    }
    Ok(out)
}

fn atom(p: &[char], at: &mut usize) -> Result<Atom, String> {
    let c = p[*at];
    *at += 1;
    Ok(match c {
        '.' => Atom::Any,
        '^' => Atom::Start,
        '$' => Atom::End,
        '(' => {
            if p.get(*at) == Some(&'?') {
                return Err("(?...) groups are not supported".into());
            }
            let inner = alternatives(p, at)?;
            if p.get(*at) != Some(&')') {
                return Err("unclosed group".into());
            }
            *at += 1;
            Atom::Group(inner)
        }
        '[' => class(p, at)?,
        '\\' => match escape(p, at)? {
            Escaped::Char(c) => Atom::Char(c),
            Escaped::Ranges(ranges, space) => Atom::Class(false, ranges, space),
        },
        '*' | '+' | '?' | '{' | '}' | ']' => return Err(format!("`{c}` with nothing to repeat or unescaped")),
        c => Atom::Char(c),
    })
}

enum Escaped {
    Char(char),
    Ranges(Vec<(char, char)>, bool),
}

fn escape(p: &[char], at: &mut usize) -> Result<Escaped, String> {
    let c = *p.get(*at).ok_or("a trailing backslash")?;
    *at += 1;
    match c {
        's' => Ok(Escaped::Ranges(Vec::new(), true)),
        'd' => Ok(Escaped::Ranges(vec![('0', '9')], false)),
        c if c.is_ascii_punctuation() => Ok(Escaped::Char(c)),
        c => Err(format!("the escape \\{c} is not supported")),
    }
}

fn class(p: &[char], at: &mut usize) -> Result<Atom, String> {
    let negated = p.get(*at) == Some(&'^');
    if negated {
        *at += 1;
    }
    let (mut ranges, mut space) = (Vec::new(), false);
    loop {
        let c = *p.get(*at).ok_or("unclosed [")?;
        *at += 1;
        let low = match c {
            ']' => return Ok(Atom::Class(negated, ranges, space)),
            '[' => return Err("[ inside a class is not supported".into()),
            '\\' => match escape(p, at)? {
                Escaped::Char(c) => c,
                Escaped::Ranges(r, s) => {
                    ranges.extend(r);
                    space |= s;
                    continue;
                }
            },
            c => c,
        };
        if p.get(*at) == Some(&'-') && p.get(*at + 1).is_some_and(|&n| n != ']') {
            let high = p[*at + 1];
            if high == '\\' || high < low {
                return Err(format!("the range {low}-{high} is not supported"));
            }
            *at += 2;
            ranges.push((low, high));
        } else {
            ranges.push((low, low));
        }
    }
}

fn quantifier(p: &[char], at: &mut usize) -> Result<(usize, usize), String> {
    let bounds = match p.get(*at) {
        Some('*') => (0, usize::MAX),
        Some('+') => (1, usize::MAX),
        Some('?') => (0, 1),
        Some('{') => {
            let end = p[*at..].iter().position(|&c| c == '}').ok_or("unclosed {")? + *at;
            let inside: String = p[*at + 1..end].iter().collect();
            let number = |s: &str| s.parse::<usize>().map_err(|_| format!("bad repetition {{{inside}}}"));
            let bounds = match inside.split_once(',') {
                None => (number(&inside)?, number(&inside)?),
                Some((min, "")) => (number(min)?, usize::MAX),
                Some((min, max)) => (number(min)?, number(max)?),
            };
            *at = end;
            bounds
        }
        _ => return Ok((1, 1)),
    };
    *at += 1;
    if matches!(p.get(*at), Some('?' | '+' | '*' | '{')) {
        return Err("lazy, possessive or stacked quantifiers are not supported".into());
    }
    Ok(bounds)
}

/// Whether `pieces` match `text` from `at`, with `then` accepting where they end (backtracking).
fn sequence(pieces: &[Piece], text: &[char], at: usize, then: &mut dyn FnMut(usize) -> bool) -> bool {
    match pieces.split_first() {
        None => then(at),
        Some((piece, rest)) => repeat(piece, 0, rest, text, at, then),
    }
}

/// Greedy repetition of `piece`, `count` times matched so far, then `rest`.
fn repeat(
    piece: &Piece,
    count: usize,
    rest: &[Piece],
    text: &[char],
    at: usize,
    then: &mut dyn FnMut(usize) -> bool,
) -> bool {
    let more = count < piece.max
        && single(&piece.atom, text, at, &mut |next| {
            // an empty match past the minimum would repeat forever
            (next > at || count < piece.min) && repeat(piece, count + 1, rest, text, next, then)
        });
    more || (count >= piece.min && sequence(rest, text, at, then))
}

fn single(atom: &Atom, text: &[char], at: usize, then: &mut dyn FnMut(usize) -> bool) -> bool {
    let here = text.get(at).copied();
    match atom {
        Atom::Char(c) => here == Some(*c) && then(at + 1),
        Atom::Any => here.is_some_and(|c| c != '\n' && c != '\r') && then(at + 1),
        Atom::Start => at == 0 && then(at),
        Atom::End => at == text.len() && then(at),
        Atom::Class(negated, ranges, space) => {
            here.is_some_and(|c| {
                let inside =
                    ranges.iter().any(|&(low, high)| (low..=high).contains(&c)) || (*space && c.is_whitespace());
                inside != *negated
            }) && then(at + 1)
        }
        Atom::Group(alternatives) => alternatives.iter().any(|seq| sequence(seq, text, at, then)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_regex_subset_matches_like_ecma_262() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (r"^[0-9]{12}$", &["123456789012"], &["12345678901", "1234567890123", "12345678901a"]),
            (r"^(ou-[a-z0-9]+-[a-z0-9]+|r-[a-z0-9]+)$", &["ou-ab12-cd34ef", "r-a1b2"], &["ou-ab12", "r-", "x-r-ab"]),
            (r"^[0-9 +()-]+$", &["+1 (206) 555-0100"], &["", "555 0100 x1"]),
            (r"^[^@\s]+@[^@\s]+$", &["a@example.com"], &["a@b@c", "a b@c", "@c", "a@"]),
            (r"^[a-z]{2}(-[a-z]+)+-[0-9]+$", &["us-east-1", "us-gov-west-1"], &["us-east", "US-east-1", "u-east-1"]),
            (r"^\+", &["+33 1"], &["33 +1"]),
            (
                r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$",
                &["arn:aws:kms:us-east-1:123456789012:alias/x"],
                &["arn:aws:kms:us-east-1:123456789012:alias/"],
            ),
            (
                r"^(alias/)?[A-Za-z0-9/_-]{1,250}$",
                &["alias/baseline-cloudtrail", "baseline_ct"],
                &["", "alias/a b", "has space"],
            ),
            (r"^[^/]+/[^/]+/[^/]+/.+$", &["1/us-east-1/sns.topic/a/b"], &["1/us-east-1/sns.topic/", "1//k/n"]),
            (r"ab?c", &["xacx", "abc"], &["ab", "abbc"]),
            (r"^(a|)*$", &["", "aaa"], &["b"]),
        ];
        for (pattern, yes, no) in cases {
            let regex = Regex::new(pattern).unwrap();
            for text in *yes {
                assert!(regex.is_match(text), "{pattern} should match {text:?}");
            }
            for text in *no {
                assert!(!regex.is_match(text), "{pattern} should not match {text:?}");
            }
        }
        for unsupported in [r"^\w+$", r"(?=a)", r"a*?", r"a{2", r"[a-", r"(a", r"*a", r"\1"] {
            assert!(Regex::new(unsupported).is_err(), "{unsupported} is rejected");
        }
    }

    fn schema() -> Value {
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "required": ["name"],
            "properties": {
                "name": { "type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[a-z]*$" },
                "days": { "type": "integer", "minimum": 1, "maximum": 9 },
                "mode": { "enum": ["on", "off"] },
                "tags": { "type": "array", "items": { "$ref": "#/definitions/tag" } },
                "regions": { "anyOf": [{ "type": "string", "enum": ["all"] }, { "type": "array" }] },
                "accounts": { "type": "object", "propertyNames": { "pattern": "^[0-9]{3}$" },
                              "additionalProperties": { "type": "boolean" } }
            },
            "definitions": { "tag": { "type": "object", "additionalProperties": false,
                                      "properties": { "key": { "type": ["string", "null"] } } } }
        })
    }

    #[test]
    fn a_valid_document_has_no_violation() {
        let document = json!({ "name": "ab", "days": 3, "mode": "on", "tags": [{ "key": null }, { "key": "k" }],
                               "regions": ["x"], "accounts": { "123": true } });
        assert_eq!(violations(&schema(), &document), Vec::<String>::new());
        assert_eq!(
            violations(&schema(), &json!({ "name": "ab", "regions": "all", "days": 2.0 })),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_kind_of_violation_is_reported_with_its_path() {
        let cases = [
            (json!({ "name": 5 }), "/name: 5 is not of type string"),
            (json!({ "name": "ab", "nmae": "ab" }), "/: unknown key \"nmae\" (additionalProperties is false)"),
            (json!({ "name": "ab", "mode": "auto" }), "/mode: \"auto\" is not one of [\"on\",\"off\"]"),
            (json!({ "days": 3 }), "/: missing required key \"name\""),
            (json!({ "name": "ab", "tags": [{ "key": 1 }] }), "/tags/0/key: 1 is not of type string or null"),
            (json!({ "name": "ab", "tags": [{ "kye": "k" }] }), "/tags/0: unknown key \"kye\""),
            (json!({ "name": "ab", "days": 10 }), "/days: 10 is more than the maximum 9"),
            (json!({ "name": "ab", "days": 0 }), "/days: 0 is less than the minimum 1"),
            (json!({ "name": "ab", "days": 1.5 }), "/days: 1.5 is not of type integer"),
            (json!({ "name": "" }), "/name: \"\" is shorter than 1 characters"),
            (json!({ "name": "abcdef" }), "/name: \"abcdef\" is longer than 5 characters"),
            (json!({ "name": "AB" }), "/name: \"AB\" does not match the pattern ^[a-z]*$"),
            (json!({ "name": "ab", "regions": "some" }), "/regions: \"some\" matches none of anyOf"),
            (json!({ "name": "ab", "accounts": { "12": true } }), "/accounts/12: \"12\" does not match the pattern"),
            (json!({ "name": "ab", "accounts": { "123": 1 } }), "/accounts/123: 1 is not of type boolean"),
            (json!([]), "/: [] is not of type object"),
        ];
        for (document, expected) in cases {
            let problems = violations(&schema(), &document);
            assert!(problems.len() == 1 && problems[0].starts_with(expected), "{document}: {problems:#?}");
        }
    }

    #[test]
    fn a_schema_keyword_the_validator_does_not_check_is_reported() {
        assert_eq!(unknown_keywords(&schema()), Vec::<String>::new());
        let mut bad = schema();
        bad["properties"]["name"]["format"] = json!("email");
        bad["properties"]["days"]["exclusiveMinimum"] = json!(0);
        bad["definitions"]["tag"]["properties"]["key"]["oneOf"] = json!([{ "type": "string" }]);
        bad["properties"]["tags"]["items"]["$ref"] = json!("#/definitions/nothing");
        bad["properties"]["mode"]["pattern"] = json!("^(?i)on$");
        bad["properties"]["regions"]["anyOf"][1]["items"] = json!([{ "type": "string" }]);
        bad["properties"]["accounts"]["$ref"] = json!("#/definitions/tag");
        let problems = unknown_keywords(&bad);
        let expected = [
            "/properties/name/format: keyword `format` is not checked",
            "/properties/days/exclusiveMinimum: keyword `exclusiveMinimum` is not checked",
            "/definitions/tag/properties/key/oneOf: keyword `oneOf` is not checked",
            "/properties/tags/items/$ref: $ref \"#/definitions/nothing\" does not resolve",
            "/properties/mode/pattern: (?...) groups are not supported",
            "/properties/regions/anyOf/1/items: `items` has the wrong shape",
            "/properties/accounts/type: draft-07 ignores the siblings of $ref",
        ];
        for line in expected {
            assert!(problems.iter().any(|p| p.starts_with(line)), "{line} in {problems:#?}");
        }
        assert!(!unknown_keywords(&json!({ "$schema": "https://json-schema.org/draft/2020-12/schema" })).is_empty());
    }

    #[test]
    fn a_default_or_example_the_schema_rejects_is_reported() {
        let mut schema = schema();
        assert_eq!(bad_annotations(&schema, &schema, ""), Vec::<String>::new());
        schema["properties"]["days"]["default"] = json!(0);
        schema["definitions"]["tag"]["examples"] = json!([{ "key": "k" }, { "key": 3 }]);
        let problems = bad_annotations(&schema, &schema, "");
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0].starts_with("/properties/days/default: 0 is not valid: /: 0 is less than"),
            "{problems:#?}"
        );
        assert!(problems[1].starts_with("/definitions/tag/examples: {\"key\":3} is not valid: /key:"), "{problems:#?}");
    }
}
