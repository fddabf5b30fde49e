//! Locating problems in TOML text (config and rubric files) by key path and
//! line, so that a validator can report every problem, not only the first.

use std::collections::HashMap;

use toml::de::{DeTable, DeValue};

/// One problem found in a TOML document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Problem {
    /// Dotted key path, e.g. `environments.production.health_urls[1]`.
    pub path: String,
    /// 1-based line of the key (or of the document start when unknown).
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.path, self.message)
        }
    }
}

/// Maps key paths of a parsed TOML document to the line they appear on.
#[derive(Debug, Default)]
pub struct LineIndex {
    lines: HashMap<String, usize>,
}

impl LineIndex {
    /// Builds the index; the caller has already checked the text parses.
    pub fn build(text: &str) -> Self {
        let mut index = LineIndex::default();
        if let Ok(root) = DeTable::parse(text) {
            let starts = line_starts(text);
            index.walk_table(root.get_ref(), "", &starts);
        }
        index
    }

    /// The line of `path`, or of its nearest ancestor that has one, or 1.
    pub fn line_of(&self, path: &str) -> usize {
        let mut p = path;
        loop {
            if let Some(line) = self.lines.get(p) {
                return *line;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return 1,
            }
        }
    }

    fn walk_table(&mut self, table: &DeTable<'_>, prefix: &str, starts: &[usize]) {
        for (key, value) in table.iter() {
            let path = join(prefix, key.get_ref());
            self.lines
                .insert(path.clone(), line_at(starts, key.span().start));
            self.walk_value(value.get_ref(), &path, starts);
        }
    }

    fn walk_value(&mut self, value: &DeValue<'_>, path: &str, starts: &[usize]) {
        match value {
            DeValue::Table(t) => self.walk_table(t, path, starts),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    self.lines
                        .insert(item_path.clone(), line_at(starts, item.span().start));
                    self.walk_value(item.get_ref(), &item_path, starts);
                }
            }
            _ => {}
        }
    }
}

/// Joins a key onto a dotted path, quoting keys that are not bare words.
pub fn join(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_string()
    } else {
        format!("\"{}\"", key.replace('"', "\\\""))
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn line_at(starts: &[usize], offset: usize) -> usize {
    match starts.binary_search(&offset) {
        Ok(i) => i + 1,
        Err(i) => i,
    }
}

/// Formats a TOML syntax error as a [`Problem`] with its line.
pub fn syntax_problem(text: &str, err: &toml::de::Error) -> Problem {
    let line = err
        .span()
        .map(|s| line_at(&line_starts(text), s.start))
        .unwrap_or(1);
    Problem {
        path: String::new(),
        line,
        message: format!("invalid TOML: {}", err.message().trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_of_nested_keys_and_array_items() {
        let text = "a = 1\n[env.prod]\nurls = [\n  'x',\n  'y',\n]\n";
        let idx = LineIndex::build(text);
        assert_eq!(idx.line_of("a"), 1);
        assert_eq!(idx.line_of("env.prod.urls"), 3);
        assert_eq!(idx.line_of("env.prod.urls[1]"), 5);
        assert_eq!(idx.line_of("env.prod.missing"), 2);
        assert_eq!(idx.line_of("nowhere"), 1);
    }

    #[test]
    fn quotes_keys_that_are_not_bare() {
        assert_eq!(join("env", "my prod"), "env.\"my prod\"");
        assert_eq!(join("", "prod"), "prod");
    }
}
