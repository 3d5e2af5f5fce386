fn main() {
    std::process::exit(procgroup_cli::pgtree::main());
}
