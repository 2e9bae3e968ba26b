//! `uprobe:PATH:FUNCTION` and `uretprobe:`: find the binary, then the
//! functions (globs expand over its ELF symbols), then where each one is
//! in the file.

use crate::ast::AttachPoint;
use crate::diagnostic::{closest, Diagnostic};
use crate::kernel::{glob_match, is_glob};
use crate::probes::{Attach, UprobeLocation, UprobeTarget};
use rtrace_binary::{Binary, Function};

/// Finds and reads the binary a user-space probe names.
pub(super) fn open_binary(
    point: &AttachPoint,
    path: &str,
    pid: Option<u32>,
) -> Result<Binary, Diagnostic> {
    let resolved = rtrace_binary::resolve(path, pid).map_err(|e| {
        Diagnostic::error(point.span, format!("cannot find the binary '{path}': {e}"))
            .with_label("no such binary")
            .with_hint("give a path, a program in PATH, or a library name such as libc")
    })?;
    Binary::open(&resolved).map_err(|e| {
        Diagnostic::error(point.span, e.to_string()).with_label("cannot probe this file")
    })
}

pub(super) fn resolve(
    point: &AttachPoint,
    ret: bool,
    path: &str,
    location: &UprobeLocation,
    pid: Option<u32>,
) -> Result<Vec<Attach>, Diagnostic> {
    let binary = open_binary(point, path, pid)?;
    let path = binary.path().display().to_string();
    let target = |location: String, function: Option<&Function>, address: u64| {
        let file_offset = binary.file_offset(address).ok_or_else(|| {
            Diagnostic::error(
                point.span,
                format!("{location} ({address:#x}) is not in a loaded part of {path}"),
            )
        })?;
        Ok(Attach::Uprobe {
            ret,
            target: UprobeTarget {
                path: path.clone(),
                location,
                function: function.map(|f| f.name.clone()),
                file_offset,
            },
        })
    };
    match location {
        UprobeLocation::Address(address) => {
            if !binary.is_code(*address) {
                return Err(Diagnostic::error(
                    point.span,
                    format!("address {address:#x} is not in the code of {path}"),
                )
                .with_label("not a code address")
                .with_hint(
                    "addresses are virtual addresses, as `nm` and `objdump -d` print them",
                ));
            }
            let function = binary.function_containing(*address);
            Ok(vec![target(format!("{address:#x}"), function, *address)?])
        }
        UprobeLocation::Function { pattern, offset } if is_glob(pattern) => {
            let mut seen = std::collections::HashSet::new();
            let matches: Vec<&Function> = binary
                .functions()
                .iter()
                .filter(|f| glob_match(pattern, &f.name) && binary.is_code(f.address))
                // Local functions of different files may share a name: one
                // probe per name, at the first.
                .filter(|f| seen.insert(f.name.as_str()))
                .collect();
            if matches.is_empty() {
                return Err(Diagnostic::error(
                    point.span,
                    format!("no function in {path} matches '{pattern}'"),
                )
                .with_label("no match")
                .with_hint(format!("`rtrace -l 'uprobe:{path}:*'` lists its functions")));
            }
            matches
                .into_iter()
                .map(|f| target(f.name.clone(), Some(f), f.address))
                .collect()
        }
        UprobeLocation::Function { pattern, offset } => {
            let Some(function) = binary
                .functions_named(pattern)
                .find(|f| binary.is_code(f.address))
            else {
                let mut d =
                    Diagnostic::error(point.span, format!("no function '{pattern}' in {path}"))
                        .with_label("not found in the binary's symbols");
                let names = binary.functions().iter().map(|f| f.name.as_str());
                if let Some(best) = closest(pattern, names) {
                    d = d.with_hint(format!("did you mean '{best}'?"));
                }
                return Err(
                    d.with_hint(format!("`rtrace -l 'uprobe:{path}:*'` lists its functions"))
                );
            };
            if *offset != 0 && function.size != 0 && *offset >= function.size {
                return Err(Diagnostic::error(
                    point.span,
                    format!(
                        "offset {offset} is outside {pattern}, which is {} bytes long",
                        function.size
                    ),
                )
                .with_label("offset past the function's end"));
            }
            let location = if *offset == 0 {
                pattern.clone()
            } else {
                format!("{pattern}+{offset}")
            };
            target(location, Some(function), function.address + offset).map(|attach| vec![attach])
        }
    }
}
