//! Generates the parser from `grammar/rtrace.lalrpop` into `OUT_DIR`, where
//! `parser.rs` includes it.

fn main() {
    println!("cargo:rerun-if-changed=../grammar/rtrace.lalrpop");
    println!("cargo:rerun-if-changed=build.rs");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    // Output paths mirror input paths relative to the input directory, so
    // this writes `$OUT_DIR/rtrace.rs`.
    let result = lalrpop::Configuration::new()
        .set_in_dir("../grammar")
        .set_out_dir(out_dir)
        .process_file("../grammar/rtrace.lalrpop");
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
