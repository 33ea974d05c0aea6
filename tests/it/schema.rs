//! The JSON Schemas under schema/: the shipped baseline.toml and every example validate against
//! baseline.schema.json; that schema and the loader agree on every key, both ways; a real `plan --json` validates
//! against plan.schema.json and uses no field it does not document.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::harness::{stdout, two_region_setup};
use crate::json_schema::{self, resolve, violations};

/// A key no table of baseline.toml has.
const UNKNOWN: &str = "not_a_baseline_key";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A schema of schema/, checked first: every keyword is one [`json_schema`] validates, every `$ref` resolves.
fn schema(name: &str) -> Value {
    let path = root().join("schema").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let problems = json_schema::unknown_keywords(&schema);
    assert!(problems.is_empty(), "{name} uses what tests/it/json_schema.rs does not check: {problems:#?}");
    schema
}

#[test]
fn every_default_and_example_of_the_schemas_validates_against_its_own_node() {
    for name in ["baseline.schema.json", "plan.schema.json"] {
        let schema = schema(name);
        let problems = json_schema::bad_annotations(&schema, &schema, "");
        assert!(problems.is_empty(), "{name}: {problems:#?}");
    }
}

/// A TOML document as the JSON value editors validate.
fn toml_to_json(text: &str) -> Value {
    let value: toml::Table = toml::from_str(text).expect("valid TOML");
    serde_json::to_value(value).unwrap()
}

/// Every `.toml` file under `dir`, recursively.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(toml_files(&path));
        } else if path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_shipped_baseline_and_every_example_validate_against_the_schema() {
    let schema = schema("baseline.schema.json");
    let mut files = vec![root().join("baseline.toml")];
    files.extend(toml_files(&root().join("examples")));
    assert!(files.len() >= 2, "baseline.toml and examples/: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let problems = violations(&schema, &toml_to_json(&text));
        assert!(problems.is_empty(), "{} does not match the schema: {problems:#?}", file.display());
        baseline::config::parse(&file, &text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
}

/// A value the schema accepts for `node`: its first example, its default, its first allowed value, or one built
/// from its type (an object with what it requires).
fn sample(root: &Value, node: &Value) -> Value {
    let node = resolve(root, node);
    let first = |key: &str| node.get(key).and_then(Value::as_array).and_then(|a| a.first()).cloned();
    if let Some(value) = first("examples").or_else(|| node.get("default").cloned()).or_else(|| first("enum")) {
        return value;
    }
    match node["type"].as_str() {
        Some("object") => Value::Object(required(root, node)),
        Some("array") => json!([sample(root, &node["items"])]),
        Some("boolean") => json!(true),
        Some("integer" | "number") => json!(1),
        _ => json!("example"),
    }
}

/// The required keys of an object node, each with a sample value.
fn required(root: &Value, node: &Value) -> Map<String, Value> {
    let keys = node.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
    keys.iter().map(|k| k.as_str().unwrap()).map(|k| (k.to_string(), sample(root, &node["properties"][k]))).collect()
}

/// What [`probes`] builds: a document per key of the schema, or per table with an unknown key added.
#[derive(Clone, Copy, PartialEq)]
enum Probe {
    EachKey,
    UnknownKeyInEachTable,
}

/// Documents probing `node` as it sits in a file: `(where, the value of node)`. With [`Probe::EachKey`], one per
/// key at or under this node, holding that key (and what its tables require); with
/// [`Probe::UnknownKeyInEachTable`], one per table at or under this node, holding [`UNKNOWN`].
fn probes(root: &Value, node: &Value, place: &str, probe: Probe) -> Vec<(String, Value)> {
    let node = resolve(root, node);
    let mut out = Vec::new();
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        let with = |key: &str, value: Value| {
            let mut table = required(root, node);
            table.insert(key.to_string(), value);
            Value::Object(table)
        };
        let table = if place.is_empty() { "the top level".to_string() } else { format!("[{place}]") };
        if probe == Probe::UnknownKeyInEachTable {
            out.push((format!("{table} {UNKNOWN}"), with(UNKNOWN, json!(true))));
        }
        for (key, child) in properties {
            let child_place = if place.is_empty() { key.clone() } else { format!("{place}.{key}") };
            if probe == Probe::EachKey {
                out.push((format!("{table} {key}"), with(key, sample(root, child))));
            }
            for (what, value) in probes(root, child, &child_place, probe) {
                out.push((what, with(key, value)));
            }
        }
    } else if let Some(items) = node.get("items") {
        for (what, value) in probes(root, items, place, probe) {
            out.push((what, json!([value])));
        }
    } else if let Some(entries) = node.get("additionalProperties").filter(|v| v.is_object()) {
        // A table of named tables (`[alarms.tune.<id>]`): probe one entry, under the name of the first example.
        let example = node.get("examples").and_then(|e| e[0].as_object()).and_then(|e| e.keys().next().cloned());
        let name = example.unwrap_or_else(|| "example".to_string());
        for (what, value) in probes(root, entries, &format!("{place}.{name}"), probe) {
            out.push((what, json!({ name.clone(): value })));
        }
    }
    out
}

/// The error the TOML/serde layer of the loader gives for `text`: an unknown key, a wrong type, a missing key.
/// Errors of the validation after it (a section that needs another, an unknown alarm id) are not about keys.
fn key_error(text: &str) -> Option<String> {
    let errors = baseline::config::parse(Path::new("probe.toml"), text).err()?;
    let shape = ["unknown field", "invalid type", "missing field", "invalid value"];
    errors.errors.into_iter().map(|d| d.message).find(|m| shape.iter().any(|s| m.starts_with(s)))
}

#[test]
fn the_loader_accepts_every_key_of_the_schema_with_a_value_of_its_type() {
    let schema = schema("baseline.schema.json");
    let documents = probes(&schema, &schema, "", Probe::EachKey);
    assert!(documents.len() > 150, "every key is probed: {}", documents.len());
    let mut problems = Vec::new();
    for (key, document) in documents {
        let text = toml::to_string(&document).unwrap();
        for v in violations(&schema, &document) {
            problems.push(format!("{key}: the schema rejects its own sample: {v}\n{text}"));
        }
        if let Some(error) = key_error(&text) {
            problems.push(format!("{key}: in the schema, but the loader says: {error}\n{text}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn an_unknown_key_is_rejected_by_the_loader_and_the_schema_in_every_table() {
    let schema = schema("baseline.schema.json");
    let documents = probes(&schema, &schema, "", Probe::UnknownKeyInEachTable);
    assert!(documents.len() > 25, "every table is probed: {}", documents.len());
    let mut problems = Vec::new();
    for (table, document) in documents {
        let text = toml::to_string(&document).unwrap();
        if violations(&schema, &document).is_empty() {
            problems.push(format!("{table}: the schema accepts it (additionalProperties: false is missing)"));
        }
        match key_error(&text) {
            Some(error) if error.starts_with(&format!("unknown field `{UNKNOWN}`")) => {}
            other => problems.push(format!("{table}: the loader does not reject it as unknown: {other:?}\n{text}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// How a field of a raw struct holds another raw struct.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Nesting {
    Table,
    /// An array of tables: `Vec<RawX>`.
    Array,
    /// A table of named tables: `BTreeMap<_, RawX>`.
    Map,
}

/// A field of one of the serde structs of src/config/raw.rs: its key, and the raw struct it holds, if any.
#[derive(Debug)]
struct RawField {
    key: String,
    holds: Option<(Nesting, String)>,
}

/// The serde structs (`Raw*`) of src/config/ (raw.rs, and each family section's own file), by name, read from
/// the source: the loader's own list of keys.
fn raw_structs() -> BTreeMap<String, Vec<RawField>> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("src/config"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    let source: String = files.iter().map(|p| std::fs::read_to_string(p).unwrap() + "\n").collect();
    let mut structs = BTreeMap::new();
    let mut current: Option<(String, Vec<RawField>)> = None;
    let mut attributes = String::new();
    for line in source.lines().map(str::trim) {
        if line.starts_with("#[") {
            attributes.push_str(line);
            continue;
        }
        if let Some(name) = line.strip_prefix("pub struct ").and_then(|l| l.strip_suffix(" {")) {
            if !name.starts_with("Raw") {
                attributes.clear();
                continue;
            }
            assert!(
                attributes.contains("deny_unknown_fields"),
                "{name} in src/config/raw.rs does not deny unknown fields: the schema says additionalProperties false"
            );
            current = Some((name.to_string(), Vec::new()));
        } else if line == "}" {
            if let Some((name, fields)) = current.take() {
                structs.insert(name, fields);
            }
        } else if let (Some((name, fields)), Some((key, ty))) =
            (current.as_mut(), line.strip_prefix("pub ").and_then(|l| l.split_once(": ")))
        {
            for unsupported in ["rename", "alias", "flatten"] {
                assert!(
                    !attributes.contains(unsupported),
                    "{name}.{key} in src/config/raw.rs uses serde `{unsupported}`: teach tests/it/schema.rs to read it"
                );
            }
            fields.push(RawField { key: key.to_string(), holds: holds(ty) });
        }
        if !line.starts_with("///") {
            attributes.clear();
        }
    }
    // The tables the families own come from the registry (`config::FAMILY_TABLES`): each is held by the struct
    // its section file names as `type Raw`.
    let file = structs.get_mut("RawFile").expect("RawFile in src/config/raw.rs");
    for table in baseline::config::FAMILY_TABLES {
        let section = std::fs::read_to_string(root().join(format!("src/config/{table}.rs"))).unwrap();
        let raw = section.lines().find_map(|l| l.trim().strip_prefix("type Raw = ")?.strip_suffix(';'));
        let raw = raw.unwrap_or_else(|| panic!("src/config/{table}.rs names its raw struct (`type Raw = ...;`)"));
        file.push(RawField { key: table.to_string(), holds: Some((Nesting::Table, raw.to_string())) });
    }
    structs
}

/// The raw struct a field type holds, and how: `Option<Spanned<RawLogArchive>>`, `Vec<RawGroup>`,
/// `BTreeMap<Spanned<String>, RawTune>`.
fn holds(ty: &str) -> Option<(Nesting, String)> {
    let at = ty.find("Raw")?;
    let name: String = ty[at..].chars().take_while(char::is_ascii_alphanumeric).collect();
    let outer = &ty[..at];
    let nesting = if outer.contains("BTreeMap<") {
        Nesting::Map
    } else if outer.contains("Vec<") {
        Nesting::Array
    } else {
        Nesting::Table
    };
    Some((nesting, name))
}

/// Walks the raw struct `name` and the schema `node` side by side, listing every key one has and the other lacks.
fn compare(
    structs: &BTreeMap<String, Vec<RawField>>,
    root: &Value,
    name: &str,
    node: &Value,
    place: &str,
) -> Vec<String> {
    let node = resolve(root, node);
    let table = if place.is_empty() { "the top level".to_string() } else { format!("[{place}]") };
    let fields = structs.get(name).unwrap_or_else(|| panic!("{name} is not a struct of src/config/"));
    let empty = Map::new();
    let properties = node.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    let mut problems = Vec::new();
    if node.get("additionalProperties") != Some(&json!(false)) {
        problems.push(format!("{table}: the schema allows unknown keys, the loader ({name}) does not"));
    }
    for field in fields {
        let Some(child) = properties.get(&field.key) else {
            problems.push(format!(
                "{table} {}: the loader accepts it ({name} in src/config/) but schema/baseline.schema.json \
                 does not list it: add it, with its type, description and default",
                field.key
            ));
            continue;
        };
        let Some((nesting, inner)) = &field.holds else { continue };
        let child = resolve(root, child);
        let child_place = if place.is_empty() { field.key.clone() } else { format!("{place}.{}", field.key) };
        let (node, place) = match nesting {
            Nesting::Table => (child, child_place),
            Nesting::Array => (&child["items"], child_place),
            Nesting::Map => (&child["additionalProperties"], format!("{child_place}.<name>")),
        };
        problems.extend(compare(structs, root, inner, node, &place));
    }
    let known: BTreeSet<&str> = fields.iter().map(|f| f.key.as_str()).collect();
    for key in properties.keys().filter(|k| !known.contains(k.as_str())) {
        problems.push(format!("{table} {key}: in the schema, but the loader ({name} in src/config/) rejects it"));
    }
    problems
}

#[test]
fn the_schema_lists_exactly_the_keys_of_the_loaders_serde_structs() {
    let schema = schema("baseline.schema.json");
    let structs = raw_structs();
    assert!(structs.len() > 20, "the raw structs are read: {:?}", structs.keys());
    let problems = compare(&structs, &schema, "RawFile", &schema, "");
    assert!(problems.is_empty(), "schema/baseline.schema.json and the loader disagree:\n{}", problems.join("\n"));
}

/// Paths in `instance` of object fields `node` does not document (the plan schema allows new fields within a
/// version, so validation alone would not notice a field the renderer gained).
fn undocumented(root: &Value, node: &Value, instance: &Value, at: &str) -> Vec<String> {
    let node = resolve(root, node);
    match instance {
        Value::Object(fields) => fields
            .iter()
            .flat_map(|(key, value)| match node.get("properties").and_then(|p| p.get(key)) {
                Some(child) => undocumented(root, child, value, &format!("{at}/{key}")),
                None => vec![format!("{at}/{key}")],
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| undocumented(root, &node["items"], item, &format!("{at}/{i}")))
            .collect(),
        _ => Vec::new(),
    }
}

fn assert_is_a_documented_plan(plan: &Value, what: &str) {
    let schema = schema("plan.schema.json");
    let problems = violations(&schema, plan);
    assert!(problems.is_empty(), "{what} does not match schema/plan.schema.json: {problems:#?}");
    let extra = undocumented(&schema, &schema, plan, "");
    assert!(extra.is_empty(), "{what} has fields schema/plan.schema.json does not document: {extra:#?}");
}

#[test]
fn a_plan_of_the_emulator_validates_against_the_plan_schema() {
    let (moto, dir) = two_region_setup();
    let out = moto.cli(dir.path(), &["plan", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(plan["summary"]["create"].as_u64().unwrap() > 0 && !plan["notices"].as_array().unwrap().is_empty());
    assert_is_a_documented_plan(&plan, "plan --json of a new account");

    let out = moto.cli(dir.path(), &["apply", "--auto-approve", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let applied: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_is_a_documented_plan(&applied["plan"], "the plan in apply --json");
    let out = moto.cli(dir.path(), &["plan", "--json", "--out", "saved.json"]);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("saved.json")).unwrap()).unwrap();
    assert_eq!(saved["summary"]["create"], 0, "{}", stdout(&out));
    assert_is_a_documented_plan(&saved, "plan --out of a converged account");
}

#[test]
fn the_rendered_plan_with_errors_validates_against_the_plan_schema() {
    // The JSON snapshot of tests/it/render.rs has every kind of change, notices and a resource that could not
    // be read, which a run against the emulator does not give.
    let snapshot = std::fs::read_to_string(root().join("tests/it/snapshots/it__render__json_plan.snap")).unwrap();
    let body = snapshot.splitn(3, "---\n").nth(2).expect("an insta snapshot: header, then the value");
    let plan: Value = serde_json::from_str(body).unwrap();
    assert!(!plan["errors"].as_array().unwrap().is_empty(), "the snapshot has an error: {plan:#}");
    assert_is_a_documented_plan(&plan, "the rendered JSON plan snapshot");
}

/// The tables the families own are documented in their section files (`FamilySection::SCHEMA`); the schema file
/// holds them, before `accounts`, in registry order. `UPDATE_SCHEMA=1` rewrites the file from them.
#[test]
fn the_families_tables_in_the_schema_are_their_sections_own() {
    let path = root().join("schema/baseline.schema.json");
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut generated = file.clone();
    let properties = generated["properties"].as_object_mut().unwrap();
    let accounts = properties.shift_remove("accounts").expect("[accounts] in the schema");
    for (table, fragment) in baseline::config::FAMILY_SCHEMAS {
        let fragment: Value = serde_json::from_str(fragment).unwrap_or_else(|e| panic!("src/config/{table}.rs: {e}"));
        properties.shift_remove(*table);
        properties.insert(table.to_string(), fragment);
    }
    properties.insert("accounts".into(), accounts);
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&generated).unwrap() + "\n").unwrap();
        file = generated.clone();
    }
    let order = |v: &Value| v["properties"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(order(&file), order(&generated), "run with UPDATE_SCHEMA=1 to write the families' tables");
    assert_eq!(file, generated, "schema/baseline.schema.json is stale: run with UPDATE_SCHEMA=1");
}
