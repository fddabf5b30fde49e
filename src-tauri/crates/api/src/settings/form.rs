//! What the Settings → Environments forms read and check (issue 14): the
//! form's sections (from the config schema, with each key's meaning and
//! default), an environment's values as the file has them, and the
//! problems a pending edit would make, by the same rules as `config
//! check`, so the form can say them as the operator types.

use readyroom_core::config::edit::ConfigEdit;
use readyroom_core::config::form::{environment_form, environment_values, FormSection};
use readyroom_core::source_text::Problem;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::edit::{checked, config_path, read, revision_of};
use crate::commands::EnvironmentFilter;
use crate::{Api, ApiError};

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentForm {
    /// The config file the form edits.
    pub path: String,
    /// The file's revision, to pass to `edit_config`.
    pub revision: String,
    pub sections: Vec<FormSection>,
    /// The environment's keys and sections as the file has them (`{}` for
    /// none, or a new environment).
    #[ts(type = "Record<string, unknown>")]
    pub values: serde_json::Value,
}

/// The form for an environment (or, without one, a new environment's).
pub(crate) async fn get_environment_form(
    api: &Api,
    r: EnvironmentFilter,
) -> Result<EnvironmentForm, ApiError> {
    let path = config_path(api)?;
    let bytes = read(&path)?;
    let text = bytes
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let values = r
        .environment
        .as_deref()
        .and_then(|name| environment_values(&text, name))
        .unwrap_or_else(|| serde_json::json!({}));
    Ok(EnvironmentForm {
        path: path.display().to_string(),
        revision: revision_of(bytes.as_deref()),
        sections: environment_form(),
        values,
    })
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckConfigRequest {
    pub edits: Vec<ConfigEdit>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfigCheck {
    /// True when saving these edits would be accepted.
    pub ok: bool,
    /// Every problem the edited file would have, with its key path
    /// (`environments.NAME.SECTION.KEY`).
    pub problems: Vec<Problem>,
}

/// The problems `edits` would make, without writing anything.
pub(crate) async fn check_config_edits(
    api: &Api,
    r: CheckConfigRequest,
) -> Result<ConfigCheck, ApiError> {
    let path = config_path(api)?;
    let before = read(&path)?;
    let problems = match checked(&path, before.as_deref(), &r.edits) {
        Ok((_, Ok(_))) => Vec::new(),
        Ok((_, Err(problems))) => problems,
        // An edit that cannot apply (a name taken, an environment gone) is
        // a problem of the form, not a failure to check.
        Err(e) => vec![Problem {
            path: String::new(),
            line: 1,
            message: e.message,
        }],
    };
    Ok(ConfigCheck {
        ok: problems.is_empty(),
        problems,
    })
}
