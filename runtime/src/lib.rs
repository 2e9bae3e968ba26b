//! The rtrace runtime: loads the compiled object, attaches probes, runs the
//! event loop and prints results.
