use super::{cell, json, table};
use crate::args::Format;
use readyroom_api::secrets::{SecretOrigin, SecretStatusRow as SecretRow};

pub fn secrets(rows: &[SecretRow], format: Format) -> String {
    if format == Format::Json {
        return json(&rows);
    }
    if rows.is_empty() {
        return "The config references no secrets.\n".to_string();
    }
    let mut t = table(
        format,
        &[
            "secret",
            "environment",
            "referenced by",
            "status",
            "CI override",
        ],
    );
    for r in rows {
        let status = match (r.from, &r.problem) {
            (Some(SecretOrigin::Keychain), _) => "set (keychain)".to_string(),
            (Some(SecretOrigin::Environment), _) => "set (environment)".to_string(),
            (None, Some(problem)) => format!("unknown: {problem}"),
            (None, None) => "not set".to_string(),
        };
        t.add_row(vec![
            cell(&r.name, format),
            cell(&r.environment, format),
            cell(&r.key, format),
            cell(&status, format),
            cell(&r.env_var, format),
        ]);
    }
    format!("{t}\n")
}
