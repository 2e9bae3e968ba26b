//! `usdt:PATH:[PROVIDER:]NAME`: every site of every matching probe in the
//! binary's `.note.stapsdt` notes.

use super::uprobe::open_binary;
use crate::ast::AttachPoint;
use crate::diagnostic::{closest, Diagnostic};
use crate::kernel::glob_match;
use crate::probes::Attach;

pub(super) fn resolve(
    point: &AttachPoint,
    path: &str,
    provider: Option<&str>,
    name: &str,
    pid: Option<u32>,
) -> Result<Vec<Attach>, Diagnostic> {
    let binary = open_binary(point, path, pid)?;
    let path = binary.path().display().to_string();
    let probes = binary.usdt_probes().map_err(|e| {
        Diagnostic::error(point.span, e.to_string()).with_label("cannot read the USDT notes")
    })?;
    let wanted = |p: &rtrace_binary::UsdtProbe| {
        provider.is_none_or(|provider| glob_match(provider, &p.provider))
            && glob_match(name, &p.name)
    };
    let found: Vec<Attach> = probes
        .iter()
        .filter(|p| wanted(p))
        .map(|p| Attach::Usdt {
            path: path.clone(),
            probe: p.clone(),
        })
        .collect();
    if found.is_empty() {
        let written = match provider {
            Some(provider) => format!("{provider}:{name}"),
            None => name.to_string(),
        };
        let mut d = Diagnostic::error(point.span, format!("no USDT probe '{written}' in {path}"))
            .with_label("not in the binary's .note.stapsdt notes");
        if probes.is_empty() {
            return Err(d.with_hint(format!("{path} has no USDT probes")));
        }
        let best = match provider {
            Some(_) => {
                let full: Vec<String> = probes
                    .iter()
                    .map(|p| format!("{}:{}", p.provider, p.name))
                    .collect();
                closest(&written, full.iter().map(String::as_str)).map(str::to_string)
            }
            None => closest(name, probes.iter().map(|p| p.name.as_str())).and_then(|best| {
                probes
                    .iter()
                    .find(|p| p.name == best)
                    .map(|p| format!("{}:{}", p.provider, p.name))
            }),
        };
        if let Some(best) = best {
            d = d.with_hint(format!("did you mean 'usdt:{path}:{best}'?"));
        }
        return Err(d.with_hint(format!("`rtrace -l 'usdt:{path}:*'` lists them")));
    }
    Ok(found)
}
