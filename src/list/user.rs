//! Listing the probes of one binary: its functions for `uprobe:PATH:GLOB`,
//! its USDT probes for `usdt:PATH:GLOB`.

use anyhow::Context;
use rtrace_binary::{Binary, UsdtProbe};
use rtrace_lang::kernel::glob_match;
use std::collections::BTreeMap;

fn open(path: &str, pid: Option<u32>) -> anyhow::Result<Binary> {
    let resolved = rtrace_binary::resolve(path, pid)
        .with_context(|| format!("cannot find the binary '{path}'"))?;
    Ok(Binary::open(&resolved)?)
}

/// `uprobe:PATH:GLOB` (or `uretprobe:`): one line per function.
pub fn functions(
    type_name: &str,
    rest: &str,
    pid: Option<u32>,
    out: &mut String,
) -> anyhow::Result<()> {
    let (path, pattern) = rest.rsplit_once(':').unwrap_or((rest, "*"));
    let binary = open(path, pid)?;
    let shown = binary.path().display().to_string();
    let mut last: Option<&str> = None;
    for f in binary.functions() {
        if last == Some(f.name.as_str()) || !binary.is_code(f.address) {
            continue;
        }
        last = Some(&f.name);
        if glob_match(pattern, &f.name) {
            out.push_str(&format!("{type_name}:{shown}:{}\n", f.name));
        }
    }
    Ok(())
}

/// `usdt:PATH[:PROVIDER]:NAME` globs: one line per probe, sorted, with
/// its arguments under `-v`.
pub fn usdt(rest: &str, verbose: bool, pid: Option<u32>, out: &mut String) -> anyhow::Result<()> {
    let fields: Vec<&str> = rest.split(':').collect();
    let (path, provider, name) = match fields.as_slice() {
        [path] => (*path, "*", "*"),
        [path, name] => (*path, "*", *name),
        [path, provider, name, ..] => (*path, *provider, *name),
        [] => unreachable!("split yields at least one field"),
    };
    let binary = open(path, pid)?;
    let shown = binary.path().display().to_string();
    // A probe written once may have several sites; list it once.
    let mut probes: BTreeMap<(String, String), Vec<UsdtProbe>> = BTreeMap::new();
    for probe in binary.usdt_probes()? {
        if glob_match(provider, &probe.provider) && glob_match(name, &probe.name) {
            probes
                .entry((probe.provider.clone(), probe.name.clone()))
                .or_default()
                .push(probe);
        }
    }
    for ((provider, name), sites) in probes {
        out.push_str(&format!("usdt:{shown}:{provider}:{name}\n"));
        if verbose {
            describe(&sites, out);
        }
    }
    Ok(())
}

/// The arguments of the first site (sites of one probe take the same
/// arguments, though perhaps in other registers), the site count and the
/// semaphore.
fn describe(sites: &[UsdtProbe], out: &mut String) {
    let first = &sites[0];
    match &first.args {
        Ok(args) => {
            for (i, arg) in args.iter().enumerate() {
                out.push_str(&format!("    arg{i}: {arg}\n"));
            }
        }
        Err(e) => out.push_str(&format!("    arguments: {e}\n")),
    }
    if sites.len() > 1 {
        out.push_str(&format!("    {} sites\n", sites.len()));
    }
    if first.semaphore_offset.is_some() {
        out.push_str("    semaphore: yes (rtrace increments it while attached)\n");
    }
}
