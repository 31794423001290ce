//! YAML reading shared by the config, the catalog and the renderer: Kubernetes' YAML 1.1
//! options and errors that say `file:line:column: what is wrong`.

use std::fmt;

use serde::de::DeserializeOwned;

/// A problem at a place in a YAML file (line and column count from 1; 0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct YamlError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl YamlError {
    /// Wraps a serde-saphyr error, keeping its location and adding what to do: a
    /// did-you-mean to "unknown field" messages, how to write one value where a list or a
    /// mapping was found.
    pub fn from_saphyr(file: &str, err: &serde_saphyr::Error) -> Self {
        let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
        let text = err.without_snippet().to_string();
        // The plain message ends with its location, which Display puts in front instead.
        let suffix = format!(" at line {line}, column {column}");
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
        let message = match unknown_field_hint(&message).or_else(|| scalar_hint(&message)) {
            Some(hint) => format!("{message}; {hint}"),
            None => message,
        };
        YamlError {
            file: file.to_string(),
            line,
            column,
            message,
        }
    }
}

/// Options matching how Kubernetes reads YAML: `0644` is octal.
pub fn options() -> serde_saphyr::Options {
    serde_saphyr::options! { legacy_octal_numbers: true }
}

/// Parses one document of `text` (from `file`, for messages).
pub fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, YamlError> {
    serde_saphyr::from_str_with_options(text, options())
        .map_err(|e| YamlError::from_saphyr(file, &e))
}

/// Parses every document of `text`, skipping empty ones.
pub fn parse_all(file: &str, text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple_with_options(text, options())
        .map_err(|e| YamlError::from_saphyr(file, &e))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// "did you mean `x`?" for serde's "unknown field `y`, expected one of a, b" messages.
fn unknown_field_hint(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected one of ")?.1;
    let candidates = expected.split(", ").map(|c| c.trim_matches('`'));
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// For "expected string scalar": a list or a mapping stands where one value belongs,
/// often a value that YAML read as one (`{...}`, `[...]`) and should have been quoted.
fn scalar_hint(message: &str) -> Option<String> {
    message.starts_with("expected string scalar").then(|| {
        "this setting takes one value, not a list or a mapping (quote it if it starts with \
         `{` or `[`)"
            .to_string()
    })
}

/// The candidate nearest to `word` by edit distance, if it is near enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_and_ignores_strangers() {
        let names = ["storage_provider", "storage_ceph", "dns_domain_name"];
        assert_eq!(closest("storage_provder", names), Some("storage_provider"));
        assert_eq!(closest("storage_cepf", names), Some("storage_ceph"));
        assert_eq!(closest("colour", names), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn octal_modes_read_as_kubernetes_does() {
        let docs = parse_all("t.yml", "mode: 0644\n---\n---\nb: 1\n").unwrap();
        assert_eq!(
            docs,
            vec![
                serde_json::json!({"mode": 420}),
                serde_json::json!({"b": 1})
            ]
        );
    }

    #[test]
    fn errors_carry_file_line_column_and_a_hint() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            pool: String,
        }
        let err = parse::<S>("x.yml", "pool: rbd\npoool: 2\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 1));
        assert_eq!(
            err.to_string(),
            "x.yml:2:1: unknown field `poool`, expected one of pool; did you mean `pool`?"
        );
    }
}
