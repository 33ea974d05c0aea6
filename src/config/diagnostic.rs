//! Errors and warnings about `baseline.toml`, each pinned to a file, line and column.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about the configuration file. `line` and `column` are 1-based; `column` counts characters.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Short text under the highlighted value ("not an e-mail address").
    pub label: String,
    /// What would be valid, or how to fix it.
    pub help: Option<String>,
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    span: Range<usize>,
    source: Arc<str>,
}

impl Diagnostic {
    pub(crate) fn new(
        severity: Severity,
        source: &Source,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        let span = clamp(span, &source.text);
        let (line, column) = line_column(&source.text, span.start);
        Self {
            severity,
            message: escape_hidden(message.into()),
            label: escape_hidden(label.into()),
            help: help.map(escape_hidden),
            path: source.path.clone(),
            line,
            column,
            span,
            source: source.text.clone(),
        }
    }

    /// `baseline.toml:12:9`
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.path.display(), self.line, self.column)
    }

    /// Renders the finding with the offending line of the file, the way compilers do.
    pub fn render(&self, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let path = self.path.display().to_string();
        let mut group = level.primary_title(&self.message).element(
            Snippet::source(&*self.source)
                .path(&path)
                .annotation(AnnotationKind::Primary.span(self.span.clone()).label(&self.label)),
        );
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help));
        }
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        renderer.render(&[group])
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)
    }
}

/// Every error found in the file (validation does not stop at the first one), plus the warnings.
#[derive(Debug, Clone)]
pub struct ConfigErrors {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "{n} error{} in the baseline configuration", if n == 1 { "" } else { "s" })?;
        if let Some(first) = self.errors.first() {
            write!(f, "; first: {first}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// The text being validated and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl Source {
    pub fn new(path: &Path, text: &str) -> Self {
        Self { path: path.to_path_buf(), text: Arc::from(text) }
    }
}

/// Whether `c` is a control character (line break, tab, escape, NUL...) or an invisible formatting character that
/// makes text display differently from what it is (zero-width spaces and joiners, bidirectional overrides, BOM).
pub(crate) fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Messages quote values from the file: hidden characters are written as `\u{1b}` so that a hostile value can neither
/// move the cursor, clear the terminal nor disguise itself when a finding is printed.
fn escape_hidden(text: String) -> String {
    if !text.chars().any(is_hidden) {
        return text;
    }
    text.chars().fold(String::with_capacity(text.len() + 8), |mut out, c| {
        if is_hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
        out
    })
}

fn clamp(span: Range<usize>, text: &str) -> Range<usize> {
    let start = span.start.min(text.len());
    let end = span.end.clamp(start, text.len());
    start..end
}

/// 1-based line and character column of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_and_in_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // byte 11 is the opening quote, after the two-byte 'é'
        assert_eq!(line_column(text, 11), (2, 5));
    }

    #[test]
    fn hidden_characters_in_messages_are_escaped() {
        let source = Source::new(Path::new("baseline.toml"), "a = 1\n");
        let d = Diagnostic::new(
            Severity::Error,
            &source,
            0..1,
            "bad \"x\u{1b}[2J\ny\u{202e}\"",
            "l\tl",
            Some("h\rh".into()),
        );
        assert_eq!(d.message, "bad \"x\\u{1b}[2J\\u{a}y\\u{202e}\"");
        assert_eq!(d.label, "l\\u{9}l");
        assert_eq!(d.help.as_deref(), Some("h\\u{d}h"));
        assert_eq!(escape_hidden("plain é".into()), "plain é");
    }
}
