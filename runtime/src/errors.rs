//! Errors of a run, each one clear sentence plus the kernel's detail.

use crate::attach::AttachError;
use aya::programs::ProgramError;
use rtrace_codegen::manifest::ProgramSpec;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot create the maps or read the object: {0}")]
    Load(aya::EbpfError),
    #[error("the kernel's verifier rejected the program for {probe}")]
    Verifier {
        probe: String,
        program: usize,
        log: String,
    },
    #[error("override() is not available on this kernel: it was built without CONFIG_BPF_KPROBE_OVERRIDE (the verifier, for {probe}: {detail})")]
    OverrideUnavailable { probe: String, detail: String },
    #[error("the kernel refused to load the program for {probe}: {cause}")]
    ProgramLoad { probe: String, cause: String },
    #[error(transparent)]
    Attach(#[from] AttachError),
    #[error("cannot run the {0} probe: {1}")]
    TestRun(String, std::io::Error),
    #[error("cannot serve metrics on {0}: {1}")]
    Metrics(std::net::SocketAddr, std::io::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl RunError {
    pub fn verifier(e: ProgramError, program: usize, spec: &ProgramSpec) -> RunError {
        let probe = spec
            .attach
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>()
            .join(", ");
        match e {
            ProgramError::LoadError {
                verifier_log,
                io_error,
            } => {
                let log = verifier_log.to_string();
                // A kernel without CONFIG_BPF_KPROBE_OVERRIDE does not know
                // the helper override() calls ("unknown func" until 6.x,
                // "program of this type cannot use helper" after).
                if let Some(line) = log.lines().find(|l| {
                    l.contains("unknown func bpf_override_return")
                        || l.contains("cannot use helper bpf_override_return")
                }) {
                    return RunError::OverrideUnavailable {
                        probe,
                        detail: line.trim().to_string(),
                    };
                }
                if log.trim().is_empty() {
                    RunError::ProgramLoad {
                        probe,
                        cause: io_error.to_string(),
                    }
                } else {
                    RunError::Verifier {
                        probe,
                        program,
                        log,
                    }
                }
            }
            other => RunError::ProgramLoad {
                probe,
                cause: other.to_string(),
            },
        }
    }
}
