fn main() {
    std::process::exit(pingpong::main_exit_code());
}
