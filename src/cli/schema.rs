//! `parindex schema`: the JSON Schema of every kind of TOML file, for editors.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::archive::write_atomic;
use parindex::input::schema::{schema_text, KINDS};

pub(crate) fn schema(root: &Path, out: Option<&Path>) -> ExitCode {
    let dir = out.map_or_else(|| root.join("schema"), Path::to_path_buf);
    for (kind, file) in KINDS {
        let Some(text) = schema_text(kind) else { continue };
        let path = dir.join(format!("{kind}.json"));
        if let Err(e) = write_atomic(&path, |w| w.write_all(text.as_bytes())) {
            eoutln!("error: cannot write `{}`: {e}", path.display());
            return ExitCode::FAILURE;
        }
        outln!("{}  ({file})", path.display());
    }
    ExitCode::SUCCESS
}
