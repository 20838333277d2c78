//! The `fcrscan` binary: parse arguments, call the library, print the error chain, exit.

mod cli;

use clap::Parser;

use cli::exit::Exit;

fn main() -> Exit {
    let parsed = match cli::Cli::try_parse() {
        Ok(parsed) => parsed,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Clean
            };
            let _ = e.print();
            return code;
        }
    };
    match cli::run(parsed) {
        Ok(exit) => exit,
        Err(err) => {
            if is_broken_pipe(&err) {
                return Exit::Clean;
            }
            eprintln!("fcrscan: error: {}", cli::ui::sanitize(&format!("{err:#}")));
            Exit::Fatal
        }
    }
}

/// A closed stdout (`fcrscan phrases list | head`) ends the program quietly.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
