//! `define_commands!`: every command is declared once, with its request
//! type, its response type and its handler (Yaak's `define_rpc!`). From
//! that one declaration come the wire enum [`crate::Command`], a typed
//! method on [`crate::Api`] per command (what the CLI calls), the dispatch
//! of a command to its handler, and the TypeScript: the bindings of every
//! request and response, and the map from command name to response type.

macro_rules! define_commands {
    ($(
        $(#[$doc:meta])*
        $method:ident => $variant:ident($request:ty) -> $response:ty = $handler:path;
    )*) => {
        /// A command and its request. On the wire:
        /// `{ "cmd": "run_scorecard", "payload": { ... } }`, camelCase.
        #[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
        #[serde(tag = "cmd", content = "payload", rename_all = "snake_case")]
        pub enum Command {
            $( $(#[$doc])* $variant($request), )*
        }

        impl crate::Api {
            $(
                $(#[$doc])*
                pub async fn $method(&self, request: $request) -> Result<$response, crate::ApiError> {
                    $handler(self, request).await
                }
            )*

            /// Handles one command and returns its response as JSON.
            pub async fn dispatch(&self, command: Command) -> Result<serde_json::Value, crate::ApiError> {
                match command {
                    $( Command::$variant(request) => crate::define::to_json(self.$method(request).await?), )*
                }
            }
        }

        /// Writes the TypeScript of every command, request, response, event
        /// and error into `cfg`'s folder, with `Responses.ts` mapping each
        /// command to its response type.
        pub fn export_bindings(cfg: &ts_rs::Config) -> Result<(), String> {
            use ts_rs::TS;
            let err = |e: ts_rs::ExportError| e.to_string();
            Command::export_all(cfg).map_err(err)?;
            crate::ApiError::export_all(cfg).map_err(err)?;
            crate::Event::export_all(cfg).map_err(err)?;
            $( <$response>::export_all(cfg).map_err(err)?; )*
            let entries: Vec<(&str, String)> = vec![
                $( (stringify!($method), <$response>::name(cfg)), )*
            ];
            crate::define::write_responses(cfg, &entries)
        }
    };
}

pub(crate) use define_commands;

pub(crate) fn to_json<T: serde::Serialize>(value: T) -> Result<serde_json::Value, crate::ApiError> {
    serde_json::to_value(value)
        .map_err(|e| crate::ApiError::new(crate::ErrorCode::Internal, e.to_string()))
}

/// `Responses.ts`: the response type of each command, by name.
pub(crate) fn write_responses(
    cfg: &ts_rs::Config,
    entries: &[(&str, String)],
) -> Result<(), String> {
    let mut types: Vec<&str> = entries.iter().map(|(_, t)| t.as_str()).collect();
    types.sort_unstable();
    types.dedup();
    let mut text = String::from(
        "// Generated from the command declarations in src-tauri/crates/api/src/commands.rs. Do not edit.\n",
    );
    for t in &types {
        text.push_str(&format!("import type {{ {t} }} from \"./{t}\";\n"));
    }
    text.push_str("\n/** The response type of each command. */\nexport interface Responses {\n");
    for (name, t) in entries {
        text.push_str(&format!("  {name}: {t};\n"));
    }
    text.push_str("}\n");
    std::fs::write(cfg.out_dir().join("Responses.ts"), text).map_err(|e| e.to_string())
}
