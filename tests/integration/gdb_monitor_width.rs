//! Every monitor answer that is a table fits an 80-column GDB console (`monitor help`, also as
//! the usage after a mistake, the option-byte table, `rtt channels`, `vector_catch`, `fault`),
//! on both families, through the remote protocol as GDB sends it. (Sentences are left to the
//! terminal to fold: nothing lines up in them.)

use crate::gdb_support::*;

const WIDTH: usize = 80;

/// The answers, each line checked (`rtt server start` to list a server in `rtt channels`).
const COMMANDS: [&str; 7] = [
    "help",
    "optbytes",
    "vector_catch",
    "vector_catch all",
    "fault",
    "rtt channels",
    "frobnicate",
];

fn answers_fit(chip: &str) {
    let server = start_server(Some(chip));
    let mut c = RawClient::connect(server.local_addr());
    let mut lines = 0;
    monitor(&mut c, "rtt server start 0 0");
    for command in COMMANDS {
        let (text, reply) = monitor(&mut c, command);
        assert_eq!(reply, "OK", "{command}");
        assert!(!text.is_empty(), "{command}: no answer");
        for line in text.lines() {
            lines += 1;
            assert!(
                line.chars().count() <= WIDTH,
                "{chip}: `monitor {command}` prints {} columns:\n{line}\n\nin:\n{text}",
                line.chars().count()
            );
        }
    }
    eprintln!("{chip}: {lines} lines, all within {WIDTH} columns");
}

#[test]
fn monitor_answers_fit_80_columns_f7() {
    answers_fit("STM32F767ZI");
}

#[test]
fn monitor_answers_fit_80_columns_g4() {
    answers_fit("STM32G474RE");
}
