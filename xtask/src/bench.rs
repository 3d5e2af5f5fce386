use std::path::Path;
pub fn run(_root: &Path, _args: &[String]) -> Result<(), String> {
    Err("not yet".into())
}
