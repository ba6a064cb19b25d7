//! The environment the fault run invokes: the runtime-API emulator, `ceh
//! lambda` and the app, with the app started again when it dies and the
//! environment frozen and thawed between invocations, as Lambda does
//! ("Understanding the Lambda execution environment lifecycle",
//! <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html>).

use std::collections::HashSet;
use std::time::Duration;

use super::app::{App, Faults};
use super::{Rng, Verdict};
use crate::e2e::harness::{ceh_lambda, exchange, free_port, Emulator, Process};
use crate::e2e::platform::signal;

/// ceh's `CEH_APP_TIMEOUT_MS`; the app's hangs last longer.
const APP_TIMEOUT_MS: u64 = 400;
/// The longest an invocation may take: a Kinesis batch of 20 records, each
/// timing out, takes 8 s.
const INVOCATION_LIMIT: Duration = Duration::from_secs(60);

/// ceh and the app, frozen, thawed and restarted at random between invocations.
pub struct Rig {
    emulator: Emulator,
    /// `ceh lambda`.
    pub ceh: Process,
    /// The app ceh forwards to.
    pub app: App,
    rng: Rng,
    freeze_rate: f64,
    /// Invocations left before a dead app is started again.
    down_for: Option<u64>,
    /// Invocations so far.
    pub invocations: u64,
    /// Freezes so far.
    pub freezes: u64,
    /// Times the app was started again.
    pub restarts: u64,
    /// Records delivered, and reported failed, in the first invocation after a thaw.
    pub after_thaw: (usize, usize),
    /// Records that failed without reaching the app while it was up (a
    /// pooled connection found closed), in all and right after a thaw.
    pub unsent: (usize, usize),
    thawed: bool,
    _config: tempfile::NamedTempFile,
}

impl Rig {
    /// Starts the emulator, the app and `ceh lambda` with the configuration
    /// file `config`; a freeze comes before an invocation at `freeze_rate`.
    pub fn start(seed: u64, config: &str, freeze_rate: f64) -> Self {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), config).unwrap();
        let emulator = Emulator::start();
        let app = App::start(free_port(), seed, Faults::default());
        let mut ceh = ceh_lambda(
            &emulator,
            &[
                ("APP", format!("http://127.0.0.1:{}", app.port())),
                ("CEH_CONFIG", file.path().display().to_string()),
                ("CEH_APP_TIMEOUT_MS", APP_TIMEOUT_MS.to_string()),
            ],
            &[],
        );
        // Read what ceh logs, so that a log line per failed record never fills the pipe.
        let mut stderr = ceh.0.stderr.take().unwrap();
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Self {
            emulator,
            ceh,
            app,
            rng: Rng::new(seed),
            freeze_rate,
            down_for: None,
            invocations: 0,
            freezes: 0,
            restarts: 0,
            after_thaw: (0, 0),
            unsent: (0, 0),
            thawed: false,
            _config: file,
        }
    }

    /// Invokes the function with a batch of `ids`, as the mapping does, and
    /// reads the reply; also the ids the app answered 2xx meanwhile.
    pub fn invoke(&mut self, event: &[u8], ids: &[&str]) -> (Verdict, HashSet<String>) {
        if self.rng.chance(self.freeze_rate) {
            self.freeze();
        }
        let app_was_up = self.app.pid().is_some();
        let (status, body) = self.invoke_within(event, INVOCATION_LIMIT);
        self.invocations += 1;
        let ledger = self.app.ledger_since();
        let verdict = Verdict::read(status, &body, ids);
        let failed: Vec<&str> = match &verdict {
            Verdict::Success => vec![],
            Verdict::Failed(failed) => failed.iter().map(String::as_str).collect(),
            Verdict::CompleteFailure => ids.to_vec(),
        };
        let thawed = std::mem::take(&mut self.thawed);
        if thawed {
            self.after_thaw.0 += ids.len();
            self.after_thaw.1 += failed.len();
        }
        // With the app up throughout, a record that failed without reaching
        // it met a connection that was already closed.
        if !self.tend_the_app() && app_was_up {
            let unsent = failed
                .iter()
                .filter(|id| !ledger.arrived.contains(**id))
                .count();
            self.unsent.0 += unsent;
            self.unsent.1 += if thawed { unsent } else { 0 };
        }
        (verdict, ledger.answered)
    }

    /// The emulator's answer to `event`, or a failed test if it takes longer
    /// than `limit`: a stuck invocation must not hang the run.
    fn invoke_within(&self, event: &[u8], limit: Duration) -> (u16, String) {
        let (port, event) = (self.emulator.port, event.to_vec());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let path = "/2015-03-31/functions/_/invocations";
            let (status, _, body) = exchange(port, "POST", path, &[], &event);
            let _ = tx.send((status, body));
        });
        rx.recv_timeout(limit)
            .unwrap_or_else(|e| panic!("invocation {}: {e}", self.invocations + 1))
    }

    /// Stops ceh and the app for about the app's keep-alive, then lets them
    /// go on, in a random order: the app closes the connections ceh pooled
    /// at the thaw or just after it, as ceh takes them for the next invocation.
    fn freeze(&mut self) {
        let ceh = self.ceh.0.id();
        let app = self.app.pid();
        for pid in [Some(ceh), app].into_iter().flatten() {
            signal(pid, "STOP");
        }
        // From 50 ms short of the keep-alive to 300 ms past it: a freeze
        // well past it alone lets ceh see the connections closed in time.
        let pause = self.app.keep_alive() - Duration::from_millis(50)
            + Duration::from_millis(self.rng.below(350));
        std::thread::sleep(pause);
        let order = if self.rng.chance(0.5) {
            [Some(ceh), app]
        } else {
            [app, Some(ceh)]
        };
        for pid in order.into_iter().flatten() {
            signal(pid, "CONT");
        }
        self.freezes += 1;
        self.thawed = true;
    }

    /// Starts a dead app again, after 0 to 2 invocations that find it down;
    /// true if it is down or has just been started again.
    fn tend_the_app(&mut self) -> bool {
        if self.down_for.is_none() && self.app.has_died() {
            self.down_for = Some(self.rng.below(3));
        }
        match self.down_for {
            Some(0) => {
                self.app.restart();
                self.restarts += 1;
                self.down_for = None;
                true
            }
            Some(n) => {
                self.down_for = Some(n - 1);
                true
            }
            None => false,
        }
    }
}
