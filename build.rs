//! Embeds the default lexicons (`phrases/`) in the binary, so `fcrscan` works from any
//! directory. Generates `$OUT_DIR/embedded_phrases.rs`: a sorted list of (relative path, text).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let phrases = root.join("phrases");
    println!("cargo:rerun-if-changed=phrases");
    let mut files = Vec::new();
    collect(&phrases, &mut files);
    files.sort();
    let mut code = String::from(
        "/// The default lexicon files: (path relative to phrases/, contents).\npub static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let rel = file
            .strip_prefix(&phrases)
            .expect("collected under phrases/");
        let rel = rel.to_string_lossy().replace('\\', "/");
        code.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            rel,
            file.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_phrases.rs");
    fs::write(out, code).expect("writing embedded_phrases.rs");
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "txt") {
            files.push(path);
        }
    }
}
