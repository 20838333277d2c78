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

/// jemalloc rather than the system allocator: the scan allocates each turn's text on a worker
/// and frees many of them on the writer thread, which glibc's per-thread arenas handle with
/// lock contention, consolidation passes and fragmentation. Measured on the 1 GB benchmark
/// corpus: 8.5 → 7.1 CPU-seconds and 210 → 166 MiB peak RSS; on 100,000 small files, 4.6 → 3.4 s.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
