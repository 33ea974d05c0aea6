//! Finds the tests a resource family brings: each file of `tests/it/families/` becomes a module of the
//! integration tests without being listed anywhere (`tests/it/main.rs` includes what this writes).

use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/families");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "rs"));
    files.sort();
    let modules: String = files
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy();
            format!("#[path = {:?}]\nmod {name};\n", p.display().to_string())
        })
        .collect();
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("family_tests.rs");
    std::fs::write(out, modules).unwrap();
}
