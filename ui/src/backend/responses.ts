// Typed access to the command API. Requests (`Command`) and the response of
// each command (`Responses`) are generated from the one Rust declaration of
// every command (src-tauri/crates/api/src/commands.rs); nothing here is
// edited when a command is added.
import type { Command } from '../bindings/Command';
import type { Responses } from '../bindings/Responses';

export type { Responses };
export type CommandName = Command['cmd'];
export type PayloadOf<K extends CommandName> = Extract<Command, { cmd: K }>['payload'];

// Compile-time check that the two generated files agree.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const everyCommandHasAResponse: Exact<CommandName, keyof Responses> = true;
