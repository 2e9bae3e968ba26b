//! Kernel symbols from `/proc/kallsyms`: names to addresses for `kaddr()`,
//! addresses to `name+offset` for `ksym()` and kernel stacks. The file is
//! read once, on first use, and searched by binary search after that.

use std::sync::OnceLock;

/// One symbol: where it starts, its name, and its module (`None` for the
/// kernel image).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelSymbol {
    pub address: u64,
    pub name: String,
    pub module: Option<String>,
}

/// The symbol an address falls in, with the distance from its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved<'a> {
    pub symbol: &'a KernelSymbol,
    pub offset: u64,
}

#[derive(Debug, Default)]
pub struct Kallsyms {
    /// Sorted by address.
    symbols: Vec<KernelSymbol>,
}

impl Kallsyms {
    /// Parses the text of `/proc/kallsyms`: `ADDRESS TYPE NAME [MODULE]`
    /// lines. Addresses read as zero (no privilege to see them) are left
    /// out: they would all resolve to one name.
    pub fn parse(text: &str) -> Kallsyms {
        let mut symbols: Vec<KernelSymbol> = text
            .lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let address = u64::from_str_radix(fields.next()?, 16).ok()?;
                let _kind = fields.next()?;
                let name = fields.next()?.to_string();
                let module = fields
                    .next()
                    .map(|m| m.trim_start_matches('[').trim_end_matches(']').to_string());
                (address != 0).then_some(KernelSymbol {
                    address,
                    name,
                    module,
                })
            })
            .collect();
        // Stable: of symbols at one address the first listed wins, which
        // is how the kernel lists a function before its aliases.
        symbols.sort_by_key(|s| s.address);
        Kallsyms { symbols }
    }

    /// The running kernel's symbols, read on first use; empty when
    /// `/proc/kallsyms` cannot be read.
    pub fn system() -> &'static Kallsyms {
        static SYSTEM: OnceLock<Kallsyms> = OnceLock::new();
        SYSTEM.get_or_init(|| {
            std::fs::read_to_string("/proc/kallsyms")
                .map(|text| Kallsyms::parse(&text))
                .unwrap_or_default()
        })
    }

    /// The address of the first symbol with this name.
    pub fn address_of(&self, name: &str) -> Option<u64> {
        self.symbols
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.address)
    }

    /// The symbol at or before `address`: the one it falls in.
    pub fn resolve(&self, address: u64) -> Option<Resolved<'_>> {
        let after = self.symbols.partition_point(|s| s.address <= address);
        let index = after.checked_sub(1)?;
        // Of several symbols at one address, the first listed.
        let start =
            self.symbols[..=index].partition_point(|s| s.address < self.symbols[index].address);
        let symbol = &self.symbols[start];
        Some(Resolved {
            symbol,
            offset: address - symbol.address,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
ffffffff81000000 T _stext
ffffffff81001000 T do_syscall_64
ffffffff81001000 t do_syscall_64_alias
ffffffff81002000 t helper
0000000000000000 A fixed_percpu_data
ffffffffc0001000 t ext4_read [ext4]
";

    #[test]
    fn resolves_addresses_to_the_symbol_they_fall_in() {
        let k = Kallsyms::parse(TEXT);
        let r = k.resolve(0xffffffff81001010).expect("resolved");
        assert_eq!((r.symbol.name.as_str(), r.offset), ("do_syscall_64", 0x10));
        let r = k.resolve(0xffffffff81002000).expect("resolved");
        assert_eq!((r.symbol.name.as_str(), r.offset), ("helper", 0));
        let r = k.resolve(0xffffffffc0001004).expect("resolved");
        assert_eq!(r.symbol.module.as_deref(), Some("ext4"));
        assert_eq!(k.resolve(0x1000), None);
    }

    #[test]
    fn finds_names_and_skips_zero_addresses() {
        let k = Kallsyms::parse(TEXT);
        assert_eq!(k.address_of("helper"), Some(0xffffffff81002000));
        assert_eq!(k.address_of("fixed_percpu_data"), None);
        assert_eq!(k.address_of("missing"), None);
    }
}
