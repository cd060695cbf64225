//! Writes the CustomResourceDefinitions of every kind to `charts/vestibule/files/crds/<kind>.yaml`
//! (or to the directory given as the first argument). CI regenerates them and fails on a diff.

use std::path::PathBuf;
use std::process::ExitCode;

use vestibule_crds::crd_documents;

fn main() -> ExitCode {
    let directory = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("charts/vestibule/files/crds"), PathBuf::from);
    if let Err(error) = std::fs::create_dir_all(&directory) {
        eprintln!("crdgen: cannot create {}: {error}", directory.display());
        return ExitCode::FAILURE;
    }
    let documents = match crd_documents() {
        Ok(documents) => documents,
        Err(error) => {
            eprintln!("crdgen: cannot render the CRDs: {error}");
            return ExitCode::FAILURE;
        }
    };
    for (file_name, document) in documents {
        let path = directory.join(file_name);
        if let Err(error) = std::fs::write(&path, document) {
            eprintln!("crdgen: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
