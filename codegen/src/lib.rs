//! The rtrace back end: typed programs in, a loadable ELF object out.
