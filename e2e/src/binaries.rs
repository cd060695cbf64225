//! The workspace's own binaries (the IdP the node runs, the operator), as cargo built them.

use std::path::PathBuf;

/// Why a binary is missing.
#[derive(Debug, thiserror::Error)]
#[error("{name} is not built at {path}: run `cargo build --bins` (make does it for you)")]
pub struct MissingBinary {
    /// Binary name.
    pub name: &'static str,
    /// Where it was expected.
    pub path: PathBuf,
}

/// `target/<profile>/<name>`, found next to the running executable (a test binary lives in
/// `target/<profile>/deps`), or as `VESTIBULE_<NAME>_BIN` says.
pub fn workspace_binary(name: &'static str) -> Result<PathBuf, MissingBinary> {
    let variable = format!("VESTIBULE_{}_BIN", name.trim_start_matches("vestibule-").to_uppercase());
    if let Some(path) = std::env::var_os(&variable) {
        return Ok(PathBuf::from(path));
    }
    let executable = std::env::current_exe().unwrap_or_default();
    let mut directory = executable.parent().map(PathBuf::from).unwrap_or_default();
    if directory.ends_with("deps") {
        directory.pop();
    }
    let path = directory.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(MissingBinary { name, path })
    }
}
