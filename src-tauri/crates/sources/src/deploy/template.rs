//! The placeholders a webhook body and a command's arguments may carry:
//! `{{target}}`, `{{from}}`, `{{reason}}`, `{{operator}}`,
//! `{{environment}}` and `{{action}}`. Filled in strings only (a JSON
//! body is parsed first and its strings filled, so a reason with quotes
//! or newlines cannot break out of the JSON). Secrets are never a
//! placeholder: they travel in a header or an environment variable.

use super::Action;

/// The placeholder names, as written between `{{` and `}}`.
pub const NAMES: &[&str] = &[
    "target",
    "from",
    "reason",
    "operator",
    "environment",
    "action",
];

/// Whether `text` names `{{name}}`.
pub fn mentions(text: &str, name: &str) -> bool {
    text.contains(&format!("{{{{{name}}}}}"))
}

/// `text` with each placeholder replaced by the action's value, in one
/// pass: a value is never read for placeholders (a reason that says
/// `{{operator}}` stays as typed). Unknown `{{…}}` are left as written.
pub fn fill(text: &str, action: &Action<'_>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let value = after
            .find("}}")
            .and_then(|end| value_of(&after[..end], action).map(|v| (v, end)));
        match value {
            Some((value, end)) => {
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn value_of<'a>(name: &str, action: &Action<'a>) -> Option<&'a str> {
    Some(match name {
        "target" => action.target_id(),
        "from" => action.from_id(),
        "reason" => action.reason,
        "operator" => action.operator,
        "environment" => action.environment,
        "action" => action.kind.action(),
        _ => return None,
    })
}

/// A JSON template with every string (keys too) filled.
pub fn fill_json(template: &serde_json::Value, action: &Action<'_>) -> serde_json::Value {
    use serde_json::Value;
    match template {
        Value::String(s) => Value::String(fill(s, action)),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_json(v, action)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (fill(k, action), fill_json(v, action)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Move;
    use super::*;

    fn action(reason: &'static str) -> Action<'static> {
        Action {
            kind: Move::RollBack,
            to: None,
            named: Some("v41"),
            from: None,
            reason,
            operator: "dana@ops-laptop",
            environment: "production",
        }
    }

    #[test]
    fn strings_are_filled_and_a_reason_cannot_break_the_json() {
        let template: serde_json::Value = serde_json::from_str(
            r#"{"ref": "main", "inputs": {"to": "{{target}}", "why": "{{reason}} by {{operator}}", "n": 3, "{{action}}": true}}"#,
        )
        .expect("json");
        let body = fill_json(
            &template,
            &action("quote \" and\nnewline {{from}} {{nope}}"),
        );
        assert_eq!(body["inputs"]["to"], "v41");
        assert_eq!(
            body["inputs"]["why"],
            "quote \" and\nnewline {{from}} {{nope}} by dana@ops-laptop"
        );
        assert_eq!(body["inputs"]["n"], 3);
        assert_eq!(body["inputs"]["rollback"], true);
        assert!(mentions("x {{target}} y", "target"));
        assert!(!mentions("x {{targets}} y", "target"));
    }
}
