//! Waiting for the signals that mean "stop": Ctrl-C everywhere, SIGTERM where it exists.

/// Resolves with the signal's name once the user or the system asks the server to stop.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                () = ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    ctrl_c().await;
    "Ctrl-C"
}

/// Ctrl-C, or never if no handler could be installed: a server that cannot hear Ctrl-C is still
/// better than one that stops at once.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
