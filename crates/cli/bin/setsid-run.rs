fn main() {
    std::process::exit(procgroup_cli::setsid_run::main());
}
