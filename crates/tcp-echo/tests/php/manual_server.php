<?php
// The PHP manual's "simple TCP/IP server" example, with the address and port taken from the
// command line and a "listening" line printed once it listens, so a test knows when to connect.
// Usage: php manual_server.php ADDRESS PORT
error_reporting(E_ALL);
set_time_limit(0);
ob_implicit_flush();
[$address, $port] = [$argv[1], (int)$argv[2]];

if (($sock = socket_create(AF_INET, SOCK_STREAM, SOL_TCP)) === false) {
    echo "socket_create() failed: " . socket_strerror(socket_last_error()) . "\n";
    exit(1);
}
socket_set_option($sock, SOL_SOCKET, SO_REUSEADDR, 1);
if (socket_bind($sock, $address, $port) === false) {
    echo "socket_bind() failed: " . socket_strerror(socket_last_error($sock)) . "\n";
    exit(1);
}
if (socket_listen($sock, 5) === false) {
    echo "socket_listen() failed: " . socket_strerror(socket_last_error($sock)) . "\n";
    exit(1);
}
echo "listening\n";

do {
    if (($msgsock = socket_accept($sock)) === false) {
        break;
    }
    $msg = "\nWelcome to the PHP Test Server. \n" .
        "To quit, type 'quit'. To shut down the server type 'shutdown'.\n";
    socket_write($msgsock, $msg, strlen($msg));
    do {
        $buf = socket_read($msgsock, 2048, PHP_NORMAL_READ);
        // The manual's loop spins on a closed connection; ending it here keeps the test bounded.
        if ($buf === false || $buf === '') {
            break;
        }
        if (!$buf = trim($buf)) {
            continue;
        }
        if ($buf == 'quit') {
            break;
        }
        if ($buf == 'shutdown') {
            socket_close($msgsock);
            break 2;
        }
        $talkback = "PHP: You said '$buf'.\n";
        socket_write($msgsock, $talkback, strlen($talkback));
        echo "$buf\n";
    } while (true);
    socket_close($msgsock);
} while (true);
socket_close($sock);
