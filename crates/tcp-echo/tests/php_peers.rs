//! The PHP manual's socket examples as real peers: PHP's socket functions as the client of
//! `--php-demo`, and the manual's server as the server `tcp-echo client` talks to.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;

use common::{Server, BIN};
use test_support::{free_port, have, lines_of, run_with_input, PATIENCE};

const GREETING: &str =
    "\nWelcome to the PHP Test Server. \nTo quit, type 'quit'. To shut down the server type 'shutdown'.\n";

fn php_script(name: &str) -> String {
    format!("{}/tests/php/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn php_client(server: &Server, lines: &[&str]) -> String {
    let (status, out, err) = run_with_input(
        Command::new("php")
            .arg(php_script("demo_client.php"))
            .arg(server.addr.ip().to_string())
            .arg(server.addr.port().to_string())
            .args(lines),
        b"",
    );
    assert!(status.success(), "php client failed: {err}");
    String::from_utf8(out).unwrap()
}

on_each_backend!(php_client_gets_greeting_replies_and_quit);
fn php_client_gets_greeting_replies_and_quit() {
    if !have("php") {
        return;
    }
    let server = Server::start(&["--php-demo"]);
    let out = php_client(&server, &["hello", "", "  spaced out\t", "0", "quit"]);
    assert_eq!(
        out,
        format!("{GREETING}PHP: You said 'hello'.\nPHP: You said 'spaced out'.\n")
    );
    // quit closes only that connection: the server still answers others.
    let again = php_client(&server, &["again", "quit"]);
    assert_eq!(again, format!("{GREETING}PHP: You said 'again'.\n"));
}

on_each_backend!(php_client_shutdown_stops_the_server_with_exit_zero);
fn php_client_shutdown_stops_the_server_with_exit_zero() {
    if !have("php") {
        return;
    }
    let server = Server::start(&["--php-demo"]);
    let out = php_client(&server, &["last words", "shutdown"]);
    assert_eq!(out, format!("{GREETING}PHP: You said 'last words'.\n"));
    let (status, stdout, _) = server.wait();
    assert!(status.success());
    assert!(stdout.contains("summary: 1 connection served"), "{stdout}");
}

/// Starts the PHP manual's example server on a free port, once it says it is listening: the
/// process, the lines it prints, and its address. `None` (having said why) without php.
fn manual_server() -> Option<(Child, Receiver<String>, String)> {
    if !have("php") {
        return None;
    }
    // The script cannot listen on port 0 and say which port it got, so it is given a port that
    // was free a moment ago; another test (or a socket still in TIME_WAIT, which the manual's
    // script does not override with SO_REUSEADDR) may take it first. Then try another.
    let mut tries = 0;
    loop {
        let port = free_port();
        let mut php = Command::new("php")
            .arg(php_script("manual_server.php"))
            .arg("127.0.0.1")
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let said = lines_of(php.stdout.take().unwrap());
        let first = said.recv_timeout(PATIENCE).unwrap();
        tries += 1;
        if first.contains("Address already in use") && tries < 5 {
            let _ = php.wait();
            continue;
        }
        assert_eq!(first, "listening");
        return Some((php, said, format!("127.0.0.1:{port}")));
    }
}

#[test]
fn tcp_echo_client_talks_to_the_php_manual_server() {
    let Some((mut php, said, addr)) = manual_server() else {
        return;
    };
    let (status, out, err) = run_with_input(
        Command::new(BIN).args(["client", "--interactive", "--connect", &addr]),
        b"hello php\nquit\n",
    );
    let out = String::from_utf8(out).unwrap();
    assert!(status.success(), "client failed: {err}");
    assert_eq!(out, format!("{GREETING}PHP: You said 'hello php'.\n"));
    assert!(err.contains("connection closed by the server"), "{err}");
    // The PHP server printed the line it got, as the manual's example does.
    assert_eq!(said.recv_timeout(PATIENCE).unwrap(), "hello php");

    let (status, _, _) = run_with_input(
        Command::new(BIN).args(["client", "--interactive", "--connect", &addr]),
        b"shutdown\n",
    );
    assert!(status.success());
    let deadline = std::time::Instant::now() + PATIENCE;
    while php.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = php.kill();
            panic!("the PHP server did not shut down");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Not an echo server: `--message` fails, and the error shows what the server said instead,
/// its greeting, as text a learner can read, not just the first differing byte.
#[test]
fn message_to_the_php_manual_server_shows_its_greeting() {
    let Some((mut php, _said, addr)) = manual_server() else {
        return;
    };
    let (status, _, err) = run_with_input(
        Command::new(BIN).args(["client", "--connect", &addr, "--message", "hello"]),
        b"",
    );
    let _ = php.kill();
    let _ = php.wait();
    assert!(!status.success(), "not an echo, yet exit 0: {err}");
    assert!(
        err.contains("echo mismatch at byte 0: sent 0x68, got 0x0a"),
        "{err}"
    );
    assert!(
        err.contains(r#""\nWelcome to the PHP Test Server. \nTo quit"#),
        "the greeting is not shown: {err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}
