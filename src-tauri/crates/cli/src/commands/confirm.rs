//! The typed confirmation every action against production asks for: the
//! environment's name, typed at the terminal, or given with `--confirm` by
//! a script. Without a terminal and without `--confirm`, nothing is sent.

use std::io::{BufRead, IsTerminal, Write};

use crate::exit::Failure;

pub fn typed(given: Option<String>, environment: &str, what: &str) -> Result<String, Failure> {
    match given {
        Some(c) => Ok(c),
        None if std::io::stdin().is_terminal() => Ok(answer(&format!(
            "Type the environment's name ({environment}) to {what}: "
        ))?
        .trim_end_matches(['\n', '\r'])
        .to_string()),
        None => Err(Failure::usage(format!(
            "no terminal to confirm on: pass --confirm {environment} to say you mean it; nothing was sent"
        ))),
    }
}

/// One line typed at the terminal after `prompt` (on stderr), as typed.
pub fn answer(prompt: &str) -> Result<String, Failure> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::error(format!("cannot read the answer: {e}")))?;
    Ok(line)
}
