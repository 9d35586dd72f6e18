//! One stop for every listener of a process: SIGINT or SIGTERM (or a test's own trigger).

use tokio::sync::watch;

/// Resolves, in every clone, once the process is asked to stop.
#[derive(Clone)]
pub struct Stop {
    stopped: watch::Receiver<bool>,
}

impl Stop {
    /// Listens for SIGINT and SIGTERM. Must be called inside the runtime.
    pub fn on_signal() -> Stop {
        let (trigger, stop) = Stop::manual();
        tokio::spawn(async move {
            signal().await;
            let _ = trigger.send(true);
        });
        stop
    }

    /// A stop fired by sending `true` on the returned sender (or by dropping it).
    pub fn manual() -> (watch::Sender<bool>, Stop) {
        let (tx, rx) = watch::channel(false);
        (tx, Stop { stopped: rx })
    }

    /// Resolves once the stop has fired.
    pub async fn wait(mut self) {
        // An error means the sender is gone: nothing can fire it any more, so stop too.
        let _ = self.stopped.wait_for(|stopped| *stopped).await;
    }
}

async fn signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
