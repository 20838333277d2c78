//! Exit codes, documented in `--help` and the README.

use std::process::{ExitCode, Termination};

/// How the program ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything was read and written.
    Clean,
    /// A fatal error: nothing final was written.
    Fatal,
    /// Invalid command-line usage (clap's own code).
    Usage,
    /// The run finished, but some records were rejected (see the rejects table), or
    /// `phrases check` found problems.
    SomeRejected,
}

impl Exit {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Fatal => 1,
            Exit::Usage => 2,
            Exit::SomeRejected => 3,
        }
    }
}

impl Termination for Exit {
    fn report(self) -> ExitCode {
        ExitCode::from(self.code())
    }
}

/// The exit-code paragraph of `--help`.
pub const EXIT_CODES_HELP: &str = "Exit codes:\n  0  clean: every record was read and written\n  1  fatal error: nothing final was written\n  2  invalid command-line usage\n  3  finished, but some records were rejected (see DIR/rejects), or `phrases check` found problems";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(
            [Exit::Clean, Exit::Fatal, Exit::Usage, Exit::SomeRejected].map(Exit::code),
            [0, 1, 2, 3]
        );
    }
}
