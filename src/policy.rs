//! IAM-style policy documents (SNS topic, S3 bucket, IAM): parse, compare semantically, and merge the
//! statements the baseline owns (identified by a `Sid` prefix) into a document without touching the rest.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Every statement the baseline writes has a `Sid` starting with this.
pub const OWNED_SID_PREFIX: &str = "Baseline";

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Value>,
}

/// A document baseline cannot read: never merged into, never overwritten.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy document is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the policy document is not understood: {0}")]
    Shape(&'static str),
}

impl PolicyDocument {
    pub fn empty() -> Self {
        Self { version: Some("2012-10-17".into()), id: None, statements: Vec::new() }
    }

    /// Parses a document as AWS returns it: plain or URL-encoded JSON, `Statement` an object or an array.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let text = text.trim();
        let decoded;
        let text = if text.starts_with('%') {
            decoded = percent_decode(text);
            decoded.as_str()
        } else {
            text
        };
        let value: Value = serde_json::from_str(text)?;
        if !value.is_object() {
            return Err(PolicyError::Shape("it is not a JSON object"));
        }
        let field = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
        let statements = match value.get("Statement") {
            Some(Value::Array(items)) => items.clone(),
            Some(single @ Value::Object(_)) => vec![single.clone()],
            Some(_) => return Err(PolicyError::Shape("`Statement` is neither an object nor an array")),
            None => return Err(PolicyError::Shape("it has no `Statement`")),
        };
        if !statements.iter().all(Value::is_object) {
            return Err(PolicyError::Shape("a statement is not a JSON object"));
        }
        Ok(Self { version: field("Version"), id: field("Id"), statements })
    }

    pub fn to_json(&self) -> String {
        let mut doc = Map::new();
        if let Some(v) = &self.version {
            doc.insert("Version".into(), Value::String(v.clone()));
        }
        if let Some(id) = &self.id {
            doc.insert("Id".into(), Value::String(id.clone()));
        }
        doc.insert("Statement".into(), Value::Array(self.statements.clone()));
        Value::Object(doc).to_string()
    }

    pub fn statement(&self, sid: &str) -> Option<&Value> {
        self.statements.iter().find(|s| statement_sid(s) == Some(sid))
    }

    /// Same meaning: same version and the same statements in any order.
    pub fn equivalent(&self, other: &PolicyDocument) -> bool {
        let version = |d: &PolicyDocument| d.version.clone().unwrap_or_else(|| "2008-10-17".into());
        let canonical = |d: &PolicyDocument| {
            let mut v: Vec<String> = d.statements.iter().map(|s| normalize_statement(s).to_string()).collect();
            v.sort();
            v
        };
        version(self) == version(other) && canonical(self) == canonical(other)
    }
}

pub fn statement_sid(statement: &Value) -> Option<&str> {
    statement.get("Sid").and_then(Value::as_str)
}

pub fn is_owned(statement: &Value) -> bool {
    statement_sid(statement).is_some_and(|sid| sid.starts_with(OWNED_SID_PREFIX))
}

/// Whether two statements grant the same thing (see [`normalize_statement`]).
pub fn statements_equivalent(a: &Value, b: &Value) -> bool {
    normalize_statement(a) == normalize_statement(b)
}

/// A canonical form in which equivalent statements are equal: `Statement` element order, single strings vs
/// one-element arrays, value order, Effect and action case, `true` vs `"true"`, condition-key case,
/// `"Principal": "*"` vs `{"AWS": "*"}` and a bare account id vs `arn:…:iam::<id>:root` all stop mattering.
pub fn normalize_statement(statement: &Value) -> Value {
    let Value::Object(map) = statement else { return statement.clone() };
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let normalized = match key.as_str() {
            "Effect" => Value::String(value.as_str().unwrap_or_default().to_ascii_lowercase()),
            "Action" | "NotAction" => string_set(value, |s| s.to_ascii_lowercase()),
            "Resource" | "NotResource" => string_set(value, str::to_string),
            "Principal" | "NotPrincipal" => normalize_principal(value),
            "Condition" => normalize_condition(value),
            _ => value.clone(),
        };
        out.insert(key.clone(), normalized);
    }
    Value::Object(out.into_iter().collect())
}

fn scalar_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn string_set(value: &Value, f: impl Fn(&str) -> String) -> Value {
    let mut items: Vec<String> = match value {
        Value::Array(items) => items.iter().map(|v| f(&scalar_string(v))).collect(),
        other => vec![f(&scalar_string(other))],
    };
    items.sort();
    items.dedup();
    Value::Array(items.into_iter().map(Value::String).collect())
}

fn normalize_principal(value: &Value) -> Value {
    match value {
        Value::String(s) if s == "*" => normalize_principal(&serde_json::json!({ "AWS": "*" })),
        Value::Object(map) => {
            let mut out = BTreeMap::new();
            for (kind, ids) in map {
                let set =
                    if kind == "AWS" { string_set(ids, account_root_to_id) } else { string_set(ids, str::to_string) };
                out.insert(kind.clone(), set);
            }
            Value::Object(out.into_iter().collect())
        }
        other => other.clone(),
    }
}

/// `arn:aws:iam::123456789012:root` means the same principal as `123456789012`.
fn account_root_to_id(principal: &str) -> String {
    let parts: Vec<&str> = principal.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", id, "root"] if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => id.to_string(),
        _ => principal.to_string(),
    }
}

fn normalize_condition(value: &Value) -> Value {
    let Value::Object(operators) = value else { return value.clone() };
    let mut out = BTreeMap::new();
    for (operator, keys) in operators {
        let normalized = match keys {
            Value::Object(keys) => {
                let by_key: BTreeMap<String, Value> = keys
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), string_set(v, |s| s.to_ascii_lowercase_if_bool())))
                    .collect();
                Value::Object(by_key.into_iter().collect())
            }
            other => other.clone(),
        };
        out.insert(operator.clone(), normalized);
    }
    Value::Object(out.into_iter().collect())
}

trait BoolCase {
    fn to_ascii_lowercase_if_bool(&self) -> String;
}

impl BoolCase for str {
    /// `"True"`, `"true"` and `true` are the same condition value; other strings keep their case.
    fn to_ascii_lowercase_if_bool(&self) -> String {
        if self.eq_ignore_ascii_case("true") || self.eq_ignore_ascii_case("false") {
            self.to_ascii_lowercase()
        } else {
            self.to_string()
        }
    }
}

/// How one owned statement differs between the account and the baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementDrift {
    Missing {
        sid: String,
        desired: Value,
    },
    Edited {
        sid: String,
        current: Value,
        desired: Value,
    },
    /// Owned (by `Sid` prefix) but no longer part of the baseline.
    Stale {
        sid: String,
        current: Value,
    },
}

/// Compares the owned statements of `current` with `desired` (all of which must carry owned Sids).
pub fn owned_drift(current: Option<&PolicyDocument>, desired: &[Value]) -> Vec<StatementDrift> {
    let mut drift = Vec::new();
    for want in desired {
        let sid = statement_sid(want).unwrap_or_default().to_string();
        match current.and_then(|doc| doc.statement(&sid)) {
            None => drift.push(StatementDrift::Missing { sid, desired: want.clone() }),
            Some(have) if !statements_equivalent(have, want) => {
                drift.push(StatementDrift::Edited { sid, current: have.clone(), desired: want.clone() })
            }
            Some(_) => {}
        }
    }
    for have in current.map(|d| d.statements.as_slice()).unwrap_or_default() {
        if is_owned(have) && !desired.iter().any(|w| statement_sid(w) == statement_sid(have)) {
            let sid = statement_sid(have).unwrap_or_default().to_string();
            drift.push(StatementDrift::Stale { sid, current: have.clone() });
        }
    }
    drift
}

/// `current` with its owned statements replaced by `desired`: owned statements are updated in place,
/// new ones appended, stale owned ones dropped, and every other statement kept exactly as it was.
pub fn merge_owned(current: Option<&PolicyDocument>, desired: &[Value]) -> PolicyDocument {
    let mut doc = current.cloned().unwrap_or_else(PolicyDocument::empty);
    let mut remaining: Vec<&Value> = desired.iter().collect();
    doc.statements = doc
        .statements
        .into_iter()
        .filter_map(|statement| {
            if !is_owned(&statement) {
                return Some(statement);
            }
            let pos = remaining.iter().position(|d| statement_sid(d) == statement_sid(&statement))?;
            Some(remaining.remove(pos).clone())
        })
        .collect();
    doc.statements.extend(remaining.into_iter().cloned());
    if doc.version.is_none() {
        doc.version = Some("2012-10-17".into());
    }
    doc
}

/// Whether `document` allows everything the Allow statement `required` allows on `resource`: for each of its
/// actions, an Allow statement names the principal (or everyone), the action (wildcards count), the resource
/// (or `*`), and imposes no condition that `required` does not impose as well (a condition `required` lacks
/// narrows the grant; one it has with fewer values, or a wildcard covering its values, does not). Deny
/// statements and `NotAction`/`NotPrincipal`/`NotResource` are not evaluated: the document is judged by the
/// Allow statements it spells out.
pub fn grants(document: &PolicyDocument, required: &Value, resource: &str) -> bool {
    let required = normalize_statement(required);
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let allows: Vec<Value> = document
        .statements
        .iter()
        .map(normalize_statement)
        .filter(|s| {
            s["Effect"] == "allow" && ["NotAction", "NotPrincipal", "NotResource"].iter().all(|k| s.get(k).is_none())
        })
        .collect();
    strings(required.get("Action")).iter().all(|action| {
        allows.iter().any(|s| {
            strings(s.get("Action")).iter().any(|pattern| wildcard_match(pattern, action))
                && strings(s.get("Resource")).iter().any(|pattern| wildcard_match(pattern, resource))
                && principal_covers(s.get("Principal"), required.get("Principal"))
                && conditions_cover(s.get("Condition"), required.get("Condition"))
        })
    })
}

/// The statements of `document` that deny `action` on `resource` to the service principal `service` whatever
/// the request: `Effect: Deny` without a condition, naming the action (wildcards count), the resource (or `*`)
/// and the service or everyone. A conditional Deny (say, of requests without TLS) is not counted. Each is
/// named by its `Sid`, or by its position when it has none.
pub fn denies(document: &PolicyDocument, action: &str, service: &str, resource: &str) -> Vec<String> {
    let action = action.to_ascii_lowercase();
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let names_service = |principal: Option<&Value>| {
        let Some(Value::Object(p)) = principal else { return false };
        let everyone = strings(p.get("AWS")).iter().any(|id| id == "*");
        everyone || strings(p.get("Service")).iter().any(|s| s == service || s == "*")
    };
    document
        .statements
        .iter()
        .enumerate()
        .filter(|(_, raw)| {
            let s = normalize_statement(raw);
            s["Effect"] == "deny"
                && s.get("Condition").is_none()
                && strings(s.get("Action")).iter().any(|pattern| wildcard_match(pattern, &action))
                && (s.get("Resource").is_none()
                    || strings(s.get("Resource")).iter().any(|pattern| wildcard_match(pattern, resource)))
                && names_service(s.get("Principal"))
        })
        .map(|(i, raw)| statement_sid(raw).map_or_else(|| format!("#{}", i + 1), str::to_string))
        .collect()
}

/// Every principal of `required` is one `granted` names (or `granted` names everyone).
fn principal_covers(granted: Option<&Value>, required: Option<&Value>) -> bool {
    let (Some(Value::Object(granted)), Some(Value::Object(required))) = (granted, required) else { return false };
    let everyone = granted.get("AWS").and_then(Value::as_array).is_some_and(|ids| ids.iter().any(|id| id == "*"));
    everyone
        || required.iter().all(|(kind, ids)| {
            let have = granted.get(kind).and_then(Value::as_array);
            ids.as_array().is_some_and(|ids| ids.iter().all(|id| have.is_some_and(|h| h.contains(id))))
        })
}

/// Each condition of `granted` holds wherever `required`'s conditions hold: `required` tests the same key
/// with a string or ARN operator, and every value it allows matches one of `granted`'s values (exactly, or
/// through `*`/`?` for the `Like` operators).
fn conditions_cover(granted: Option<&Value>, required: Option<&Value>) -> bool {
    let Some(Value::Object(granted)) = granted else { return true };
    let required: Vec<(&String, &String, Vec<&str>)> = match required {
        Some(Value::Object(operators)) => operators
            .iter()
            .flat_map(|(op, keys)| keys.as_object().into_iter().flatten().map(move |(key, values)| (op, key, values)))
            .map(|(op, key, values)| {
                (op, key, values.as_array().into_iter().flatten().filter_map(Value::as_str).collect())
            })
            .collect(),
        _ => Vec::new(),
    };
    granted.iter().all(|(operator, keys)| {
        let base = operator.trim_end_matches("IfExists");
        let like = matches!(base, "StringLike" | "ArnLike");
        let comparable = like || matches!(base, "StringEquals" | "ArnEquals");
        keys.as_object().into_iter().flatten().all(|(key, values)| {
            let allowed: Vec<&str> = values.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            required.iter().any(|(op, k, wanted)| {
                let same_kind = matches!(op.as_str(), "StringEquals" | "StringLike" | "ArnEquals" | "ArnLike");
                *k == key
                    && (*op == operator || (comparable && same_kind))
                    && !wanted.is_empty()
                    && wanted.iter().all(|w| allowed.iter().any(|a| if like { wildcard_match(a, w) } else { a == w }))
            })
        })
    })
}

/// IAM's wildcards: `*` any run of characters, `?` any one character.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Pairs of statements that mean the same, as AWS re-serialises them.
    #[test]
    fn equivalent_statements() {
        let cases = [
            (
                "one-element array vs string",
                json!({"Sid":"A","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:111111111111:t"}),
                json!({"Sid":"A","Effect":"Allow","Principal":{"Service":["cloudwatch.amazonaws.com"]},"Action":["sns:Publish"],"Resource":["arn:aws:sns:us-east-1:111111111111:t"]}),
            ),
            (
                "value and key order",
                json!({"Sid":"A","Effect":"Allow","Action":["s3:PutObject","s3:GetBucketAcl"],"Resource":["b","a"]}),
                json!({"Resource":["a","b"],"Action":["s3:GetBucketAcl","s3:PutObject"],"Effect":"Allow","Sid":"A"}),
            ),
            (
                "action and effect case",
                json!({"Sid":"A","Effect":"Allow","Action":"SNS:Publish"}),
                json!({"Sid":"A","Effect":"allow","Action":"sns:publish"}),
            ),
            (
                "bool condition value vs string",
                json!({"Sid":"A","Effect":"Deny","Condition":{"Bool":{"aws:SecureTransport":false}}}),
                json!({"Sid":"A","Effect":"Deny","Condition":{"Bool":{"aws:SecureTransport":"false"}}}),
            ),
            (
                "condition key case and value order",
                json!({"Sid":"A","Effect":"Allow","Condition":{"StringEquals":{"aws:SourceAccount":["1","2"]}}}),
                json!({"Sid":"A","Effect":"Allow","Condition":{"StringEquals":{"AWS:SourceAccount":["2","1"]}}}),
            ),
            (
                "bare account id vs root ARN",
                json!({"Sid":"A","Effect":"Allow","Principal":{"AWS":"111111111111"}}),
                json!({"Sid":"A","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root"]}}),
            ),
            (
                "star principal",
                json!({"Sid":"A","Effect":"Allow","Principal":"*"}),
                json!({"Sid":"A","Effect":"Allow","Principal":{"AWS":["*"]}}),
            ),
            (
                "duplicate values",
                json!({"Sid":"A","Effect":"Allow","Action":["sns:Publish","sns:Publish"]}),
                json!({"Sid":"A","Effect":"Allow","Action":"sns:Publish"}),
            ),
        ];
        for (what, a, b) in cases {
            assert!(statements_equivalent(&a, &b), "{what}: should be equivalent");
        }
    }

    /// Pairs that look alike but grant different things.
    #[test]
    fn different_statements() {
        let cases = [
            ("sid differs", json!({"Sid":"A","Effect":"Allow"}), json!({"Sid":"a","Effect":"Allow"})),
            ("effect differs", json!({"Sid":"A","Effect":"Allow"}), json!({"Sid":"A","Effect":"Deny"})),
            (
                "extra action",
                json!({"Sid":"A","Effect":"Allow","Action":"sns:Publish"}),
                json!({"Sid":"A","Effect":"Allow","Action":["sns:Publish","sns:Subscribe"]}),
            ),
            (
                "resource case matters",
                json!({"Sid":"A","Effect":"Allow","Resource":"arn:aws:s3:::Bucket"}),
                json!({"Sid":"A","Effect":"Allow","Resource":"arn:aws:s3:::bucket"}),
            ),
            (
                "condition value case matters",
                json!({"Sid":"A","Effect":"Allow","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}),
                json!({"Sid":"A","Effect":"Allow","Condition":{"StringEquals":{"s3:x-amz-acl":"Bucket-Owner-Full-Control"}}}),
            ),
            (
                "condition removed",
                json!({"Sid":"A","Effect":"Allow","Condition":{"StringEquals":{"aws:SourceAccount":"1"}}}),
                json!({"Sid":"A","Effect":"Allow"}),
            ),
            (
                "operator differs",
                json!({"Sid":"A","Effect":"Allow","Condition":{"StringEquals":{"aws:SourceAccount":"1"}}}),
                json!({"Sid":"A","Effect":"Allow","Condition":{"StringLike":{"aws:SourceAccount":"1"}}}),
            ),
            (
                "principal service differs",
                json!({"Sid":"A","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"}}),
                json!({"Sid":"A","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"}}),
            ),
            (
                "action vs not-action",
                json!({"Sid":"A","Effect":"Allow","Action":"sns:Publish"}),
                json!({"Sid":"A","Effect":"Allow","NotAction":"sns:Publish"}),
            ),
            (
                "other account root",
                json!({"Sid":"A","Effect":"Allow","Principal":{"AWS":"111111111111"}}),
                json!({"Sid":"A","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"}}),
            ),
        ];
        for (what, a, b) in cases {
            assert!(!statements_equivalent(&a, &b), "{what}: should differ");
        }
    }

    const KEY: &str = "arn:aws:kms:us-east-1:111111111111:key/k";

    fn key_policy(statements: Value) -> PolicyDocument {
        PolicyDocument { statements: statements.as_array().unwrap().clone(), ..PolicyDocument::empty() }
    }

    /// CloudTrail's documented statement, with this account's trail.
    fn cloudtrail_encrypt() -> Value {
        json!({"Sid": "AllowCloudTrailEncryptLogs", "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceArn": ["arn:aws:cloudtrail:us-east-1:111111111111:trail/t"]},
            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": ["arn:aws:cloudtrail:*:111111111111:trail/*"]}
        }})
    }

    #[test]
    fn a_key_policy_grants_what_a_statement_at_least_as_broad_grants() {
        let required = cloudtrail_encrypt();
        let granted = [
            ("the statement itself", json!([required.clone()])),
            (
                "no condition, every action, key ARN as resource",
                json!([{"Effect": "Allow", "Principal": {"Service": ["cloudtrail.amazonaws.com", "config.amazonaws.com"]},
                    "Action": "kms:*", "Resource": KEY}]),
            ),
            (
                "a wildcard trail ARN instead of the exact one, one condition left out",
                json!([{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "kms:GenerateDataKey*", "Resource": "*",
                    "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:cloudtrail:*:111111111111:trail/*"}}}]),
            ),
            (
                "everyone",
                json!([{"Effect": "Allow", "Principal": "*", "Action": "kms:GenerateDataKey*", "Resource": "*"}]),
            ),
        ];
        for (what, statements) in granted {
            assert!(grants(&key_policy(statements), &required, KEY), "{what}");
        }
        let config = json!({"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": KEY});
        let split = json!([
            {"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "kms:GenerateDataKey", "Resource": "*"}
        ]);
        assert!(grants(&key_policy(split), &config, KEY), "actions granted by separate statements");
    }

    #[test]
    fn a_key_policy_does_not_grant_what_a_narrower_statement_grants() {
        let required = cloudtrail_encrypt();
        let not_granted = [
            ("nothing", json!([])),
            ("deny", json!([{"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}])),
            (
                "another service",
                json!([{"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "kms:*", "Resource": "*"}]),
            ),
            (
                "only GenerateDataKey, not GenerateDataKey*",
                json!([{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "kms:GenerateDataKey", "Resource": "*"}]),
            ),
            (
                "another key",
                json!([{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "kms:*", "Resource": "arn:aws:kms:us-east-1:111111111111:key/other"}]),
            ),
            (
                "another trail",
                json!([{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:*",
                    "Resource": "*", "Condition": {"StringEquals": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111111111111:trail/x"}}}]),
            ),
            (
                "a condition the requirement does not have",
                json!([{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:*",
                    "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": "111111111111"}}}]),
            ),
            ("not-action", json!([{"Effect": "Allow", "Principal": "*", "NotAction": "kms:Decrypt", "Resource": "*"}])),
        ];
        for (what, statements) in not_granted {
            assert!(!grants(&key_policy(statements), &required, KEY), "{what}");
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("kms:*", "kms:generatedatakey*"));
        assert!(wildcard_match("kms:generatedatakey*", "kms:generatedatakey*"));
        assert!(wildcard_match("a?c*", "abcdef"));
        assert!(!wildcard_match("kms:generatedatakey", "kms:generatedatakey*"));
        assert!(!wildcard_match("a*d", "abc"));
    }

    #[test]
    fn parses_url_encoded_single_statement_documents() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Sid%22%3A%22A%22%2C%22Effect%22%3A%22Allow%22%7D%7D";
        let doc = PolicyDocument::parse(encoded).unwrap();
        assert_eq!(doc.version.as_deref(), Some("2012-10-17"));
        assert_eq!(doc.statements, vec![json!({"Sid":"A","Effect":"Allow"})]);
    }

    #[test]
    fn documents_compare_statement_order_insensitively() {
        let a = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow"},{"Sid":"B","Effect":"Deny"}]}"#,
        )
        .unwrap();
        let b = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Deny"},{"Sid":"A","Effect":"Allow"}]}"#,
        )
        .unwrap();
        assert!(a.equivalent(&b));
        let c = PolicyDocument::parse(r#"{"Statement":[{"Sid":"B","Effect":"Deny"},{"Sid":"A","Effect":"Allow"}]}"#)
            .unwrap();
        assert!(!a.equivalent(&c), "an absent Version means 2008-10-17");
    }

    #[test]
    fn merge_keeps_foreign_statements_and_repairs_owned_ones() {
        let current = PolicyDocument::parse(
            r#"{"Version":"2008-10-17","Id":"x","Statement":[
                {"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish"},
                {"Sid":"BaselineOld","Effect":"Allow"},
                {"Sid":"BaselineEdited","Effect":"Deny"},
                {"Effect":"Allow","Action":"sns:Subscribe"}]}"#,
        )
        .unwrap();
        let desired =
            vec![json!({"Sid":"BaselineEdited","Effect":"Allow"}), json!({"Sid":"BaselineNew","Effect":"Allow"})];
        let drift = owned_drift(Some(&current), &desired);
        assert_eq!(drift.len(), 3);
        assert!(matches!(&drift[0], StatementDrift::Edited { sid, .. } if sid == "BaselineEdited"));
        assert!(matches!(&drift[1], StatementDrift::Missing { sid, .. } if sid == "BaselineNew"));
        assert!(matches!(&drift[2], StatementDrift::Stale { sid, .. } if sid == "BaselineOld"));

        let merged = merge_owned(Some(&current), &desired);
        assert_eq!(merged.version.as_deref(), Some("2008-10-17"));
        assert_eq!(merged.id.as_deref(), Some("x"));
        assert_eq!(merged.statements[0], current.statements[0], "foreign statement kept as is");
        assert_eq!(merged.statements[1], desired[0], "owned statement repaired in place");
        assert_eq!(merged.statements[2], current.statements[3], "statement without Sid kept");
        assert_eq!(merged.statements[3], desired[1]);
        assert_eq!(merged.statements.len(), 4);
        assert!(owned_drift(Some(&merged), &desired).is_empty());
    }

    #[test]
    fn an_unconditional_deny_of_the_service_is_found_and_a_conditional_one_is_not() {
        let doc = PolicyDocument::parse(
            r#"{"Statement":[
                {"Sid":"NoTls","Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"arn:t",
                 "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
                {"Sid":"Quiet","Effect":"Deny","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:*",
                 "Resource":"*"},
                {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"arn:t"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(denies(&doc, "sns:Publish", "cloudwatch.amazonaws.com", "arn:t"), ["Quiet", "#3"]);
        assert_eq!(denies(&doc, "sns:Publish", "events.amazonaws.com", "arn:t"), ["#3"]);
        assert!(denies(&doc, "sns:Publish", "events.amazonaws.com", "arn:other").is_empty());
    }
}
