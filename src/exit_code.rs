//! The process exit codes, a stable interface for scripts and CI.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success; with `plan --detailed-exitcode`, also "no changes".
    Success = 0,
    /// Invalid configuration, an AWS error, or any failed change.
    Error = 1,
    /// `plan --detailed-exitcode` only: changes are pending.
    Changes = 2,
    /// `apply` stopped by Ctrl-C (SIGINT) after the changes in flight finished; the rest is still pending.
    Interrupted = 130,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(ExitCode::Success as u8, 0);
        assert_eq!(ExitCode::Error as u8, 1);
        assert_eq!(ExitCode::Changes as u8, 2);
        assert_eq!(ExitCode::Interrupted as u8, 130);
    }
}
