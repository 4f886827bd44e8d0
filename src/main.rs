//! The `keyhound` command: parse arguments, call the library, map the outcome to an exit
//! code (0: no findings, 1: findings, 2: usage or runtime error).

mod cli;

use std::process::ExitCode;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code.into(),
        Err(err) => {
            // A closed pipe (`keyhound scan | head`) is not an error worth a message.
            if let Some(io) = err.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::from(2);
            }
            eprintln!("keyhound: {err:#}");
            ExitCode::from(2)
        }
    }
}
