//! Reading a command from JSON without ever echoing the request back:
//! serde's messages quote the offending value (`invalid type: string
//! "postgres://u:pw@h/db", expected ...`), and a request may carry a secret.

use readyroom_core::Sensitive;
use serde::{Deserialize, Deserializer};

use crate::{ApiError, Command, ErrorCode};

/// Parses `{ "cmd": ..., "payload": ... }`; a failure names what was
/// expected and where, never what was sent.
pub fn parse_command(body: serde_json::Value) -> Result<Command, ApiError> {
    serde_json::from_value(body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("not a valid command: {}", without_values(&e)),
        )
    })
}

/// serde's message with anything taken from the input left out. Its data
/// errors end in `, expected <what the type wants>`, written from our type
/// definitions; `missing field` names one of our fields. Everything else
/// (values, unknown names) came from the request.
pub fn without_values(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    let position = if e.line() > 0 {
        format!(" (line {}, column {})", e.line(), e.column())
    } else {
        String::new()
    };
    if message.starts_with("missing field `") {
        return format!("{message}{position}");
    }
    match message.rsplit_once(", expected ") {
        Some((_, expected)) => {
            format!("a value has the wrong type or content; expected {expected}{position}")
        }
        None => format!("the request does not match the command's shape{position}"),
    }
}

/// `deserialize_with` for a field that carries a secret: straight into a
/// [`Sensitive`], and a wrong type is reported without the value.
pub fn sensitive_string<'de, D: Deserializer<'de>>(d: D) -> Result<Sensitive<String>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(Sensitive::new(s)),
        _ => Err(serde::de::Error::custom(
            "a secret value must be a string, expected a string",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "postgres://u:Hunter2-pw@h/db";

    #[test]
    fn no_malformed_command_echoes_a_value() {
        for body in [
            serde_json::json!({ "cmd": "set_secret", "payload": SECRET }),
            serde_json::json!({ "cmd": "set_secret", "payload": { "name": SECRET } }),
            serde_json::json!({ "cmd": "set_secret", "payload": { "name": 5, "value": SECRET } }),
            serde_json::json!({ "cmd": "set_secret", "payload": { "name": "a", "value": 1234567 } }),
            serde_json::json!({ "cmd": "set_secret", "payload": { "name": "a", "value": [SECRET] } }),
            serde_json::json!({ "cmd": SECRET, "payload": {} }),
            serde_json::json!([SECRET]),
            serde_json::json!(SECRET),
        ] {
            let err = parse_command(body.clone()).expect_err("malformed");
            assert_eq!(err.code, ErrorCode::InvalidRequest);
            for leak in ["Hunter2", "1234567"] {
                assert!(!err.message.contains(leak), "{body} -> {}", err.message);
            }
        }
    }

    #[test]
    fn the_message_still_says_what_was_expected() {
        let err =
            parse_command(serde_json::json!({ "cmd": "set_secret", "payload": { "name": "a" } }))
                .expect_err("no value");
        assert!(
            err.message.contains("missing field `value`"),
            "{}",
            err.message
        );
        let err = parse_command(serde_json::json!({ "cmd": "set_secret", "payload": SECRET }))
            .expect_err("a string payload");
        assert!(
            err.message.contains("expected struct SetSecretRequest"),
            "{}",
            err.message
        );
    }
}
