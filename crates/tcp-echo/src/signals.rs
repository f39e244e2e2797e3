//! Hearing the signals that mean "stop": Ctrl-C everywhere, SIGTERM where it exists.
//!
//! The handlers are installed by [`Signals::install`], a plain call, before the program starts
//! work or says it is ready (the server's `listening on`): a signal that comes after that must
//! reach the summary or report and exit as documented, and one that came before the handlers
//! existed would kill the process with the default action.
//! (`tokio::signal::ctrl_c()` would not do: it installs its handler at its first poll.)

use std::io;

/// Signal handlers already installed; [`Signals::recv`] waits for the first signal.
pub struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

impl Signals {
    /// Installs the handlers now. Must run inside a tokio runtime context (`Runtime::enter`);
    /// the runtime need not be running yet, and a signal that arrives before it runs is kept.
    pub fn install() -> io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(windows)]
        {
            Ok(Signals {
                ctrl_c: tokio::signal::windows::ctrl_c()?,
            })
        }
        #[cfg(not(any(unix, windows)))]
        {
            Ok(Signals {})
        }
    }

    /// Resolves with the signal's name once the user or the system asks the server to stop.
    pub async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(windows)]
        {
            self.ctrl_c.recv().await;
            "Ctrl-C"
        }
        #[cfg(not(any(unix, windows)))]
        {
            std::future::pending().await
        }
    }
}
