//! Hearing the signals that mean "stop": Ctrl-C everywhere, SIGTERM where it exists.
//!
//! The handlers are installed by [`Signals::install`], a plain call, before the program starts
//! work or says it is ready (a server's `listening on`): a signal that comes after that must
//! reach the summary or report and exit as documented, and one that came before the handlers
//! existed would kill the process with the default action.
//! (`tokio::signal::ctrl_c()` would not do: it installs its handler at its first poll.)

use std::io;

/// Signal handlers already installed; [`Signals::recv`] waits for the next signal.
pub struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

impl Signals {
    /// Installs the handlers now. Must run inside a tokio runtime context (inside `block_on`,
    /// or under `Runtime::enter`); the runtime need not be running yet, and a signal that
    /// arrives before it runs is kept.
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

    /// Resolves with the signal's name (`SIGINT`, `SIGTERM`, `Ctrl-C`) once the user or the
    /// system asks the program to stop. Cancel-safe: a signal is not lost when the future is
    /// dropped in a `select!` that another branch won.
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// SIGTERM is sent to this very process: the test binary would die of it if the handler
    /// were not in place the moment `install` returned.
    #[test]
    fn a_signal_raised_after_install_is_received_even_before_the_runtime_runs() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut signals = {
            let _context = runtime.enter();
            Signals::install().unwrap()
        };
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let name = runtime.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(10), signals.recv()).await
        });
        assert_eq!(name, Ok("SIGTERM"));
    }
}
