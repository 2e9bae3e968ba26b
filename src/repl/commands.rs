//! The REPL's own commands, which start with `:`.

/// A parsed `:` command.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Probes,
    Detach(usize),
    /// `:print` with no map prints them all.
    Print(Vec<String>),
    Clear(Vec<String>),
    Maps,
    Load(String),
    Quit,
}

/// Every command, as `:help` shows it and completion offers it.
pub const COMMANDS: &[(&str, &str)] = &[
    (":help", "this list"),
    (":probes", "the entries running, numbered"),
    (
        ":detach N",
        "end entry N: detach its probes and run its END block",
    ),
    (
        ":print [@map...]",
        "print maps now (all of them without a name)",
    ),
    (":clear @map...", "remove every entry of maps"),
    (":maps", "the maps and their types"),
    (
        ":load FILE",
        "run a script file, as if its text were entered",
    ),
    (
        ":quit",
        "end the session (as Ctrl-D): END blocks run, the maps are printed",
    ),
];

/// Parses a line that starts with `:`; the error says what is wrong.
pub fn parse(line: &str) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let name = words.next().unwrap_or(":");
    let args: Vec<&str> = words.collect();
    let no_args = |command| match args.is_empty() {
        true => Ok(command),
        false => Err(format!("{name} takes no arguments")),
    };
    match name {
        ":help" | ":h" | ":?" => no_args(Command::Help),
        ":probes" | ":p" => no_args(Command::Probes),
        ":maps" | ":m" => no_args(Command::Maps),
        ":quit" | ":q" | ":exit" => no_args(Command::Quit),
        ":detach" | ":d" => match args.as_slice() {
            [n] => n
                .parse()
                .map(Command::Detach)
                .map_err(|_| format!("{name} takes an entry number (see :probes), not '{n}'")),
            _ => Err(format!("usage: {name} N (N from :probes)")),
        },
        ":print" => Ok(Command::Print(map_names(name, &args)?)),
        ":clear" => match args.is_empty() {
            true => Err(format!("usage: {name} @map...")),
            false => Ok(Command::Clear(map_names(name, &args)?)),
        },
        ":load" | ":l" => match args.as_slice() {
            [] => Err(format!("usage: {name} FILE")),
            // A path may contain spaces: everything after the command.
            _ => Ok(Command::Load(
                line.trim_start()[name.len()..].trim().to_string(),
            )),
        },
        _ => Err(format!("unknown command {name} (:help lists them)")),
    }
}

/// Map arguments, `@m` (or `m`, taken as `@m`).
fn map_names(name: &str, args: &[&str]) -> Result<Vec<String>, String> {
    args.iter()
        .map(|a| {
            let map = if a.starts_with('@') {
                a.to_string()
            } else {
                format!("@{a}")
            };
            match map[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                true => Ok(map),
                false => Err(format!("{name}: '{a}' is not a map name")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(parse(":help"), Ok(Command::Help));
        assert_eq!(parse("  :probes "), Ok(Command::Probes));
        assert_eq!(parse(":detach 2"), Ok(Command::Detach(2)));
        assert_eq!(
            parse(":print @m x"),
            Ok(Command::Print(vec!["@m".into(), "@x".into()]))
        );
        assert_eq!(parse(":print @"), Ok(Command::Print(vec!["@".into()])));
        assert_eq!(parse(":print"), Ok(Command::Print(vec![])));
        assert_eq!(parse(":clear @m"), Ok(Command::Clear(vec!["@m".into()])));
        assert_eq!(
            parse(":load my script.rt"),
            Ok(Command::Load("my script.rt".into()))
        );
        assert_eq!(parse(":q"), Ok(Command::Quit));
    }

    #[test]
    fn mistakes_are_explained() {
        assert_eq!(
            parse(":detach x"),
            Err(":detach takes an entry number (see :probes), not 'x'".into())
        );
        assert_eq!(
            parse(":detach"),
            Err("usage: :detach N (N from :probes)".into())
        );
        assert_eq!(parse(":clear"), Err("usage: :clear @map...".into()));
        assert_eq!(
            parse(":print @a-b"),
            Err(":print: '@a-b' is not a map name".into())
        );
        assert_eq!(parse(":maps 1"), Err(":maps takes no arguments".into()));
        assert_eq!(
            parse(":frob"),
            Err("unknown command :frob (:help lists them)".into())
        );
    }
}
