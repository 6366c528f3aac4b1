//! Where a target's database lives: `$SAFEBOX_FUZZ_SCRATCH` (a folder
//! `scripts/fuzz` makes, on tmpfs when there is one, and removes after the
//! run: libFuzzer ends the process without dropping statics), else
//! /dev/shm, else the system's temporary folder.

pub fn folder() -> tempfile::TempDir {
    let base = std::env::var_os("SAFEBOX_FUZZ_SCRATCH")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_dir())
        .or_else(|| Some(std::path::PathBuf::from("/dev/shm")).filter(|p| p.is_dir()))
        .unwrap_or_else(std::env::temp_dir);
    tempfile::tempdir_in(base).expect("a scratch folder")
}
