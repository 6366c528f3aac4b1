//! Reading one field of a Linux `/proc` file (`/proc/self/status`,
//! `/proc/cpuinfo`, `/proc/meminfo`), for the bench's machine line and
//! the resident memory that the bench and the soak sample.

/// The text after `name` and its colon on the first line of `path` that
/// has it, trimmed (`VmRSS:   1234 kB` gives `1234 kB`).
pub(crate) fn field(path: &str, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.trim_start();
        Some(rest.strip_prefix(':')?.trim().to_owned())
    })
}

/// A field given in kibibytes (`VmRSS`, `MemTotal`), as a number of them.
pub(crate) fn kib(path: &str, name: &str) -> Option<u64> {
    field(path, name)?.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fields_of_this_process_and_machine_are_read() {
        assert!(super::kib("/proc/self/status", "VmRSS").is_some_and(|kib| kib > 0));
        assert!(super::kib("/proc/meminfo", "MemTotal").is_some_and(|kib| kib > 0));
        assert!(super::field("/proc/cpuinfo", "model name").is_some_and(|m| !m.is_empty()));
        assert_eq!(super::field("/proc/self/status", "NoSuchField"), None);
        assert_eq!(super::field("/no/such/file", "VmRSS"), None);
    }
}
