<#
.SYNOPSIS
    A guided walk through socklab on Windows: an echo server and client showing their socket
    calls, the sniffer showing the packets they make (as Administrator), and a WebSocket
    conversation with ws-chat. Everything talks only to 127.0.0.1 and is stopped at the end,
    Ctrl-C included.
.PARAMETER Fast
    No pauses.
.EXAMPLE
    powershell -ExecutionPolicy Bypass -File scripts\demo.ps1
#>
param([switch]$Fast)

$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')

function Step([string]$Text) { Write-Host ""; Write-Host "== $Text" -ForegroundColor White }
function Say([string]$Text) { Write-Host $Text }
function Show([string]$Path) {
    if (Test-Path $Path) { Get-Content $Path | ForEach-Object { Write-Host "    $_" } }
}
function Pause-Demo([int]$Seconds = 3) { if (-not $Fast) { Start-Sleep -Seconds $Seconds } }

$Work = Join-Path ([IO.Path]::GetTempPath()) ("socklab-demo-" + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $Work | Out-Null
$Started = New-Object System.Collections.ArrayList

# Starts a program in the background with stdout and stderr in files; remembers it for cleanup.
function Start-Tool([string]$Exe, [string]$Arguments, [string]$Name) {
    $p = Start-Process -FilePath $Exe -ArgumentList $Arguments -NoNewWindow -PassThru `
        -RedirectStandardOutput (Join-Path $Work "$Name.out") `
        -RedirectStandardError (Join-Path $Work "$Name.err")
    [void]$Started.Add($p)
    return $p
}

# Runs a program to completion with its output in files; fails the demo if it fails.
function Invoke-Tool([string]$Exe, [string]$Arguments, [string]$Name) {
    $p = Start-Process -FilePath $Exe -ArgumentList $Arguments -NoNewWindow -PassThru -Wait `
        -RedirectStandardOutput (Join-Path $Work "$Name.out") `
        -RedirectStandardError (Join-Path $Work "$Name.err")
    if ($p.ExitCode -ne 0) {
        Show (Join-Path $Work "$Name.err")
        throw "$Exe $Arguments failed with exit code $($p.ExitCode)"
    }
}

# Waits (at most 10 s) until a file holds a line containing Text.
function Wait-For([string]$Path, [string]$Text) {
    for ($i = 0; $i -lt 200; $i++) {
        if ((Test-Path $Path) -and (Select-String -Path $Path -Pattern $Text -SimpleMatch -Quiet)) { return }
        Start-Sleep -Milliseconds 50
    }
    throw "timed out waiting for '$Text' in $Path"
}

function First-Address([string]$Path) {
    return ((Get-Content $Path | Select-Object -First 1) -split ' ')[2]
}

try {
    Step "Building the tools (release)"
    cargo build --release --locked -q -p tcp-echo -p raw-sniff -p ws-chat
    if ($LASTEXITCODE -ne 0) { throw "cargo build failed" }
    cargo build --release --locked -q -p socklab-examples --example ws_client
    if ($LASTEXITCODE -ne 0) { throw "cargo build failed" }
    $Bin = Join-Path (Get-Location) 'target\release'
    $principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
    $Admin = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)

    Step "1. An echo server: socket(), bind(), listen(), accept()"
    Say "tcp-echo server makes its listening socket one system call at a time and, with --verbose, prints each call. Port 0 asks for a free port; the first line says which."
    $server = Start-Tool "$Bin\tcp-echo.exe" "server --listen 127.0.0.1:0 --verbose" 'server'
    Wait-For (Join-Path $Work 'server.out') 'listening on'
    $Addr = First-Address (Join-Path $Work 'server.out')
    $Port = ($Addr -split ':')[-1]
    Show (Join-Path $Work 'server.out')
    Show (Join-Path $Work 'server.err')
    Pause-Demo

    if ($Admin) {
        Step "2. A sniffer on a raw socket, before anything is sent"
        Say "raw-sniff opens a SOCK_RAW socket on 127.0.0.1 and turns on SIO_RCVALL: Windows then hands it every IP packet with its headers, and raw-sniff parses them itself. It stops by itself after 6 seconds."
        $sniff = Start-Tool "$Bin\raw-sniff.exe" "--iface 127.0.0.1 --duration 6s tcp port $Port" 'sniff'
        Wait-For (Join-Path $Work 'sniff.err') 'reading from'
        Show (Join-Path $Work 'sniff.err')
    } else {
        Step "2. (skipped) The sniffer needs Administrator"
        Say "Raw sockets with SIO_RCVALL need Administrator rights: open PowerShell with 'Run as Administrator' and start this demo again to see the packets of each step."
    }
    Pause-Demo

    Step "3. A client: connect(), write(), read(), close()"
    Say "tcp-echo client sends one line and checks that every byte comes back."
    Invoke-Tool "$Bin\tcp-echo.exe" "client --connect $Addr --message `"hello from the demo`" --verbose" 'client'
    Show (Join-Path $Work 'client.err')
    Show (Join-Path $Work 'client.out')
    Pause-Demo

    Step "4. What the server saw"
    Start-Sleep -Milliseconds 300
    Show (Join-Path $Work 'server.err')
    Pause-Demo

    if ($Admin) {
        Step "5. The same conversation as packets"
        Say "The handshake (SYN, SYN-ACK, ACK), the data each way and the two FINs. A raw IP socket gets IP packets: no Ethernet header, just as Linux's --ip-raw."
        Wait-Process -Id $sniff.Id -Timeout 15
        Show (Join-Path $Work 'sniff.out')
        Pause-Demo
    }

    Step "6. A WebSocket conversation with ws-chat"
    Say "ws-chat speaks RFC 6455: an HTTP Upgrade handshake, then frames. The client (examples\ws_client.rs) sends two messages and a ping, then closes."
    $ws = Start-Tool "$Bin\ws-chat.exe" "--listen 127.0.0.1:0 --verbose" 'ws'
    Wait-For (Join-Path $Work 'ws.out') 'listening on'
    $WsAddr = First-Address (Join-Path $Work 'ws.out')
    $WsPort = ($WsAddr -split ':')[-1]
    if ($Admin) {
        $wsSniff = Start-Tool "$Bin\raw-sniff.exe" "--iface 127.0.0.1 --duration 5s --ws-only tcp port $WsPort" 'wssniff'
        Wait-For (Join-Path $Work 'wssniff.err') 'reading from'
    }
    Invoke-Tool "$Bin\examples\ws_client.exe" "$WsAddr /echo `"hello, websocket`" `"frames are masked from client to server`"" 'wsclient'
    Show (Join-Path $Work 'wsclient.out')
    Pause-Demo
    Say "What ws-chat printed:"
    Start-Sleep -Milliseconds 300
    Show (Join-Path $Work 'ws.out')
    Pause-Demo
    if ($Admin) {
        Say "And what raw-sniff decoded from the captured TCP stream on its own: the Upgrade with its accept value checked, then every frame, client frames unmasked."
        Wait-Process -Id $wsSniff.Id -Timeout 15
        Show (Join-Path $Work 'wssniff.out')
        Pause-Demo
    }

    Step "Done"
    Say "In a terminal of its own, Ctrl-C makes each server stop accepting, finish what is in flight and print a summary. README.md has a section per tool; examples\ has small programs to read first."
}
finally {
    foreach ($p in $Started) {
        if (-not $p.HasExited) { Stop-Process -Id $p.Id -Force -ErrorAction SilentlyContinue }
    }
    Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
}
