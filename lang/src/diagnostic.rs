//! Diagnostics: collected by every pass, rendered once, codespan-style.

use crate::ast::Span;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    /// The characters at fault, with a short label under the caret.
    pub span: Span,
    pub label: String,
    /// Related places ("first defined here").
    pub related: Vec<(Span, String)>,
    /// Suggestions printed as `= help: ...` lines.
    pub hints: Vec<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            span,
            label: String::new(),
            related: Vec::new(),
            hints: Vec::new(),
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hints.push(hint.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push((span, label.into()));
        self
    }
}

/// A list of diagnostics is the error type of every front-end pass.
pub type Diagnostics = Vec<Diagnostic>;

/// Renders diagnostics as `error: ...` blocks with `file:line:col`, the
/// source line and a caret under the span.
pub fn render(diagnostics: &[Diagnostic], file_name: &str, source: &str, color: bool) -> String {
    let file = SimpleFile::new(file_name, source);
    let config = term::Config::default();
    let mut buffer = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    for diagnostic in diagnostics {
        let clamp = |span: Span| {
            let end = (span.end as usize).min(source.len());
            let start = (span.start as usize).min(end);
            start..end
        };
        let mut labels =
            vec![Label::primary((), clamp(diagnostic.span)).with_message(&diagnostic.label)];
        for (span, label) in &diagnostic.related {
            labels.push(Label::secondary((), clamp(*span)).with_message(label));
        }
        let rendered = CsDiagnostic::error()
            .with_message(&diagnostic.message)
            .with_labels(labels)
            .with_notes(
                diagnostic
                    .hints
                    .iter()
                    .map(|h| format!("help: {h}"))
                    .collect(),
            );
        // Writing to an in-memory buffer only fails on a span outside the
        // file, which `clamp` rules out.
        let _ = term::emit(&mut buffer, &config, &file, &rendered);
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// Finds the closest candidate by edit distance, for "did you mean".
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wanted.len() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(wanted, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance where swapping two adjacent characters counts as one edit
/// (optimal string alignment): `cuont` is one typo away from `count`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: the one before the previous is needed for transpositions.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_and_rejects_strangers() {
        let names = ["filename", "flags", "mode"];
        assert_eq!(closest("filenme", names), Some("filename"));
        assert_eq!(closest("flag", names), Some("flags"));
        assert_eq!(closest("xyz", names), None);
        assert_eq!(closest("cuont", ["count", "clear"]), Some("count"));
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn render_points_at_the_span() {
        let source = "BEGIN { foo(); }";
        let d = Diagnostic::error(Span::new(8, 11), "unknown function 'foo'")
            .with_label("not a builtin")
            .with_hint("see `rtrace --help`");
        let text = render(&[d], "-e", source, false);
        assert!(text.contains("error: unknown function 'foo'"), "{text}");
        assert!(text.contains("-e:1:9"), "{text}");
        assert!(text.contains("^^^ not a builtin"), "{text}");
        assert!(text.contains("help: see `rtrace --help`"), "{text}");
    }
}
