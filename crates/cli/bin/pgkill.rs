fn main() {
    std::process::exit(procgroup_cli::pgkill::main());
}
