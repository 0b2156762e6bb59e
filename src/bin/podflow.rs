//! The `podflow` command line: the simulation core for course authors and tests.
fn main() {
    std::process::exit(podflow_cli::main(std::env::args().skip(1).collect()));
}

mod podflow_cli {
    pub fn main(args: Vec<String>) -> i32 {
        match args.first().map(String::as_str) {
            Some("--version") | Some("version") => {
                println!("podflow {}", env!("CARGO_PKG_VERSION"));
                0
            }
            _ => {
                eprintln!("usage: podflow apply -f FILE [--seed N] [--output text|json]");
                2
            }
        }
    }
}
