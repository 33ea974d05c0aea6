//! `baseline.toml`: load, parse, validate. No AWS call is made here.

mod diagnostic;
pub mod model;
mod raw;
#[macro_use]
mod sections;
mod validate;

registry!(family_sections);

use std::path::Path;

pub use diagnostic::{ConfigErrors, Diagnostic, Severity, line_column};
pub use model::*;
pub(crate) use sections::{Around, FamilySection};
pub use validate::{KNOWN_REGIONS, is_email};

use diagnostic::Source;

/// A validated baseline and the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub desired: Desired,
    pub warnings: Vec<Diagnostic>,
    /// SHA-256 (hex) of the file's bytes: saved plans record it.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error(transparent)]
    Invalid(#[from] ConfigErrors),
}

/// Reads and validates the file at `path`.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| LoadError::Read { path: path.display().to_string(), source })?;
    Ok(parse(path, &text)?)
}

/// SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Validates `text` as if read from `path` (the path is only used in messages).
pub fn parse(path: &Path, text: &str) -> Result<Loaded, ConfigErrors> {
    let source = Source::new(path, text);
    let raw: raw::RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            let (label, help) = explain_toml_error(&message);
            let error = Diagnostic::new(Severity::Error, &source, span, message, label, help);
            return Err(ConfigErrors { errors: vec![error], warnings: Vec::new() });
        }
    };
    let mut validator = validate::Validator::new(&source);
    let desired = validator.desired(raw);
    if validator.errors.is_empty() {
        Ok(Loaded { desired, warnings: validator.warnings, sha256: sha256_hex(text.as_bytes()) })
    } else {
        Err(ConfigErrors { errors: validator.errors, warnings: validator.warnings })
    }
}

/// A label and a hint for the messages the TOML/serde layer produces.
fn explain_toml_error(message: &str) -> (&'static str, Option<String>) {
    let reference = "every key is listed in the baseline.toml reference in README.md";
    if message.starts_with("unknown field") {
        ("unknown key", Some(format!("check the spelling; {reference}")))
    } else if message.starts_with("missing field") {
        ("in this table", Some(format!("add the missing key; {reference}")))
    } else if message.starts_with("invalid type") {
        ("wrong type", Some(format!("{reference}, with its type")))
    } else if message.contains("duplicate key") {
        ("defined twice", Some("remove one of the two definitions".into()))
    } else {
        ("here", Some("the file must be valid TOML (https://toml.io)".into()))
    }
}
