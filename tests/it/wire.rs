//! What a write call set, read off the wire: the operation and the names of the fields in its request, in
//! the `Operation.Field` form the drift coverage list uses (`PutMetricAlarm.Threshold`,
//! `PutConfigRule.ConfigRule.InputParameters`, `PutBucketVersioning.Status`).
//!
//! Each protocol names its operation and fields its own way:
//! - JSON (`X-Amz-Target: Service.Operation`): the body's keys, one level into objects and arrays of objects
//!   (`Budget.BudgetLimit`, `Targets[].Arn`);
//! - Query (`Action=Operation` form bodies): the parameter names without their list and map suffixes
//!   (`AlarmActions.member.1` is `AlarmActions`); attribute maps by attribute name (`Attribute.Policy`);
//! - REST-JSON (the Account API, `POST /putAlternateContact`): the path names the operation, the body's keys;
//! - REST-XML (S3, path style): the method and the sub-resource name the operation, the XML leaf elements (and
//!   `x-amz-` headers that carry settings) its fields; S3 Control (`/v20180820/configuration/<name>`): the method
//!   and the path's last segment.

use std::collections::BTreeSet;

use crate::fault_proxy::Passed;

/// One write call: its operation and the fields it set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Write {
    pub operation: String,
    pub fields: BTreeSet<String>,
}

impl Write {
    /// `Operation.Field` for each field.
    pub fn qualified(&self) -> impl Iterator<Item = String> + '_ {
        self.fields.iter().map(|f| format!("{}.{f}", self.operation))
    }
}

/// The write a request made; `None` for a read.
pub fn write_of(request: &Passed) -> Option<Write> {
    let (operation, fields) = if let Some(target) = request.header("x-amz-target") {
        let operation = target.rsplit('.').next().unwrap_or(target).to_string();
        (operation, json_fields(&request.body))
    } else if is_form(request) {
        query_write(&String::from_utf8_lossy(&request.body))?
    } else if request.header("content-type").is_some_and(|t| t.starts_with("application/json")) {
        (rest_json_operation(request), json_fields(&request.body))
    } else {
        s3_write(request)?
    };
    (!is_read(&operation)).then_some(Write { operation, fields })
}

/// REST-JSON routes whose path does not name the operation (GuardDuty's, Security Hub's and Access Analyzer's,
/// from their API references), as
/// `(method, path with {} for an id, operation)`; any other path names the operation itself (the Account API's
/// `POST /putAlternateContact`).
const REST_JSON_ROUTES: &[(&str, &str, &str)] = &[
    ("POST", "/detector", "CreateDetector"),
    ("POST", "/detector/{}", "UpdateDetector"),
    ("POST", "/detector/{}/admin", "UpdateOrganizationConfiguration"),
    ("POST", "/admin/enable", "EnableOrganizationAdminAccount"),
    ("POST", "/accounts", "EnableSecurityHub"),
    ("POST", "/standards/register", "BatchEnableStandards"),
    ("POST", "/findingAggregator/create", "CreateFindingAggregator"),
    ("PATCH", "/findingAggregator/update", "UpdateFindingAggregator"),
    ("PUT", "/analyzer", "CreateAnalyzer"),
    // Reads sent as POST with a JSON body.
    ("POST", "/standards/get", "GetEnabledStandards"),
    ("POST", "/findingv2", "ListFindingsV2"),
];

fn rest_json_operation(request: &Passed) -> String {
    let path = request.path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let route = REST_JSON_ROUTES.iter().find(|(method, pattern, _)| {
        let pattern: Vec<&str> = pattern.split('/').collect();
        *method == request.method
            && pattern.len() == segments.len()
            && pattern.iter().zip(&segments).all(|(p, s)| *p == "{}" || p == s)
    });
    match route {
        Some((_, _, operation)) => operation.to_string(),
        None => pascal(path.trim_start_matches('/').split('/').next().unwrap_or_default()),
    }
}

fn is_form(request: &Passed) -> bool {
    request.header("content-type").is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
}

fn is_read(operation: &str) -> bool {
    ["Get", "List", "Describe", "Head", "Lookup", "Simulate"].iter().any(|p| operation.starts_with(p))
}

fn pascal(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn json_fields(body: &[u8]) -> BTreeSet<String> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return BTreeSet::new();
    };
    let mut fields = BTreeSet::new();
    for (key, value) in &map {
        match value {
            // A tag map's keys are the user's, not fields.
            serde_json::Value::Object(_) if key.eq_ignore_ascii_case("tags") => {
                fields.insert(key.clone());
            }
            serde_json::Value::Object(inner) => fields.extend(inner.keys().map(|k| format!("{key}.{k}"))),
            serde_json::Value::Array(items) if items.iter().any(|i| i.is_object()) => {
                let inner = items.iter().filter_map(|i| i.as_object()).flat_map(|o| o.keys());
                fields.extend(inner.map(|k| format!("{key}[].{k}")));
            }
            _ => {
                fields.insert(key.clone());
            }
        }
    }
    fields
}

/// A Query-protocol request: `Action` names the operation; `AttributeName`/`Attributes.entry.N.key` name
/// the attributes set.
fn query_write(body: &str) -> Option<(String, BTreeSet<String>)> {
    let params: Vec<(String, String)> =
        body.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect();
    let operation = params.iter().find(|(k, _)| k == "Action")?.1.clone();
    let mut fields = BTreeSet::new();
    for (key, value) in &params {
        let first = key.split('.').next().unwrap_or_default();
        match first {
            "Action" | "Version" | "AttributeValue" => {}
            "AttributeName" => {
                fields.insert(format!("Attribute.{value}"));
            }
            "Attributes" if key.ends_with(".key") => {
                fields.insert(format!("Attribute.{value}"));
            }
            "Attributes" => {}
            _ => {
                fields.insert(first.to_string());
            }
        }
    }
    Some((operation, fields))
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// S3 sub-resources and the write operation each names with `PUT` (`DELETE` names `DeleteBucket<...>`).
const S3_SUBRESOURCES: &[(&str, &str)] = &[
    ("policy", "BucketPolicy"),
    ("versioning", "BucketVersioning"),
    ("encryption", "BucketEncryption"),
    ("publicAccessBlock", "PublicAccessBlock"),
    ("ownershipControls", "BucketOwnershipControls"),
    ("lifecycle", "BucketLifecycleConfiguration"),
    ("tagging", "BucketTagging"),
    ("logging", "BucketLogging"),
    ("acl", "BucketAcl"),
    ("notification", "BucketNotificationConfiguration"),
    ("object-lock", "ObjectLockConfiguration"),
];

/// Headers that carry a setting (the rest are signing, checksums and the SDK's own).
const S3_SETTING_HEADERS: &[&str] =
    &["x-amz-acl", "x-amz-object-ownership", "x-amz-bucket-object-lock-enabled", "x-amz-expected-bucket-owner"];

fn s3_write(request: &Passed) -> Option<(String, BTreeSet<String>)> {
    let verb = match request.method.as_str() {
        "PUT" => "Put",
        "DELETE" => "Delete",
        "POST" => "Post",
        _ => return None,
    };
    if let Some(rest) = request.path.strip_prefix("/v20180820/") {
        let name = rest.split('?').next().unwrap_or_default().rsplit('/').next().unwrap_or_default();
        return Some((format!("{verb}{}", pascal(name)), xml_leaves(&String::from_utf8_lossy(&request.body))));
    }
    let query = request.path.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let keys: Vec<&str> = query.split('&').map(|p| p.split('=').next().unwrap_or_default()).collect();
    let sub = S3_SUBRESOURCES.iter().find(|(k, _)| keys.contains(k)).map(|(_, name)| *name);
    let operation = match (verb, sub) {
        ("Put", Some("BucketPolicy")) => "PutBucketPolicy".to_string(),
        (verb, Some(name)) => format!("{verb}{name}"),
        ("Put", None) if request.path.trim_matches('/').split(['/', '?']).count() == 1 => "CreateBucket".into(),
        ("Delete", None) => "DeleteBucket".into(),
        (verb, None) => format!("{verb}Object"),
    };
    let mut fields: BTreeSet<String> = if sub == Some("BucketPolicy") {
        (!request.body.is_empty()).then(|| "Policy".to_string()).into_iter().collect()
    } else {
        xml_leaves(&String::from_utf8_lossy(&request.body))
    };
    for (name, _) in &request.headers {
        let name = name.to_ascii_lowercase();
        if S3_SETTING_HEADERS.contains(&name.as_str()) {
            fields.insert(name);
        }
    }
    Some((operation, fields))
}

/// The names of the XML elements that hold text, not other elements.
fn xml_leaves(xml: &str) -> BTreeSet<String> {
    let mut leaves = BTreeSet::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with(['/', '?', '!']) || tag.ends_with('/') {
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or_default();
        let text_end = rest.find('<').unwrap_or(rest.len());
        if rest[text_end..].starts_with(&format!("</{name}>")) {
            leaves.insert(name.to_string());
        }
    }
    leaves
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passed(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Passed {
        Passed {
            method: method.into(),
            path: path.into(),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn names(write: Option<Write>) -> Vec<String> {
        write.map(|w| w.qualified().collect()).unwrap_or_default()
    }

    #[test]
    fn each_protocol_names_its_operation_and_fields() {
        let form = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")];
        let query = passed(
            "POST",
            "/",
            &form,
            "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=a&Threshold=1.0&AlarmActions.member.1=arn%3Ax",
        );
        assert_eq!(
            names(write_of(&query)),
            ["PutMetricAlarm.AlarmActions", "PutMetricAlarm.AlarmName", "PutMetricAlarm.Threshold"]
        );
        let attributes = passed(
            "POST",
            "/",
            &form,
            "Action=SetTopicAttributes&TopicArn=arn&AttributeName=Policy&AttributeValue=%7B%7D",
        );
        assert_eq!(
            names(write_of(&attributes)),
            ["SetTopicAttributes.Attribute.Policy", "SetTopicAttributes.TopicArn"]
        );
        let json = passed(
            "POST",
            "/",
            &[("X-Amz-Target", "AWSEvents.PutTargets")],
            r#"{"Rule":"r","Targets":[{"Id":"t","Arn":"arn"}]}"#,
        );
        assert_eq!(names(write_of(&json)), ["PutTargets.Rule", "PutTargets.Targets[].Arn", "PutTargets.Targets[].Id"]);
        let rest_json = passed(
            "POST",
            "/putAlternateContact",
            &[("Content-Type", "application/json")],
            r#"{"AlternateContactType":"BILLING","Name":"n"}"#,
        );
        assert_eq!(
            names(write_of(&rest_json)),
            ["PutAlternateContact.AlternateContactType", "PutAlternateContact.Name"]
        );
        let s3 = passed(
            "PUT",
            "/bucket/?versioning",
            &[],
            "<VersioningConfiguration xmlns=\"x\"><Status>Enabled</Status></VersioningConfiguration>",
        );
        assert_eq!(names(write_of(&s3)), ["PutBucketVersioning.Status"]);
        let create = passed("PUT", "/bucket/", &[("x-amz-object-ownership", "BucketOwnerEnforced")], "");
        assert_eq!(names(write_of(&create)), ["CreateBucket.x-amz-object-ownership"]);
        let control = passed(
            "PUT",
            "/v20180820/configuration/publicAccessBlock",
            &[("x-amz-account-id", "123456789012")],
            "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>",
        );
        assert_eq!(names(write_of(&control)), ["PutPublicAccessBlock.BlockPublicAcls"]);
    }

    #[test]
    fn reads_are_not_writes() {
        let form = [("Content-Type", "application/x-www-form-urlencoded")];
        assert_eq!(write_of(&passed("POST", "/", &form, "Action=DescribeAlarms&Version=1")), None);
        assert_eq!(write_of(&passed("GET", "/bucket/?policy", &[], "")), None);
        assert_eq!(write_of(&passed("POST", "/", &[("X-Amz-Target", "CloudTrail.GetTrailStatus")], "{}")), None);
    }
}
