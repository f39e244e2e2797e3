<?php
// A client written with PHP's own socket functions, as in the PHP manual: connect, send each
// command-line argument as a line, then print every byte the server sends until it closes.
// Usage: php demo_client.php HOST PORT LINE...
error_reporting(E_ALL);
[$host, $port] = [$argv[1], (int)$argv[2]];
$lines = array_slice($argv, 3);

$sock = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
if ($sock === false || !socket_connect($sock, $host, $port)) {
    fwrite(STDERR, "connect failed: " . socket_strerror(socket_last_error()) . "\n");
    exit(2);
}
socket_set_option($sock, SOL_SOCKET, SO_RCVTIMEO, ['sec' => 10, 'usec' => 0]);
foreach ($lines as $line) {
    $msg = $line . "\n";
    socket_write($sock, $msg, strlen($msg));
}
while (true) {
    $buf = socket_read($sock, 2048, PHP_BINARY_READ);
    if ($buf === false) {
        fwrite(STDERR, "read failed: " . socket_strerror(socket_last_error($sock)) . "\n");
        exit(3);
    }
    if ($buf === '') {
        break;
    }
    echo $buf;
}
socket_close($sock);
