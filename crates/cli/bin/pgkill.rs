//! pgkill: see `procgroup_cli::pgkill`.
#![no_main]

/// C's `main`, not Rust's: see `procgroup_cli::common::run_process`.
#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    procgroup_cli::common::run_process(procgroup_cli::pgkill::main)
}
