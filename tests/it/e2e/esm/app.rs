//! The fault run's app (tests/apps/faulty_app.py), started again on its port
//! when it dies, and the ledger where it lists every record that reached it
//! and every one it answered 2xx.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::e2e::harness::{listening_port, root, tools, Process};

/// How often the app fails, and how.
#[derive(Clone, Debug)]
pub struct Faults {
    /// `--rates`: the chance of each failing answer (`500`, `404`, `hang`, `die`).
    pub rates: &'static str,
    /// How long a hang lasts, longer than ceh's `CEH_APP_TIMEOUT_MS`.
    pub hang: Duration,
    /// How long the app keeps an idle connection open.
    pub keep_alive: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            rates: "500=0.06,404=0.06,hang=0.01,die=0.004",
            hang: Duration::from_millis(1000),
            keep_alive: Duration::from_secs(1),
        }
    }
}

/// Lines of the app's ledger.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Records whose request reached the app.
    pub arrived: HashSet<String>,
    /// Records the app answered 2xx.
    pub answered: HashSet<String>,
}

/// The app on a fixed port, and what its ledger said so far.
pub struct App {
    port: u16,
    seed: u64,
    faults: Faults,
    generation: u32,
    process: Option<Process>,
    ledger: tempfile::NamedTempFile,
    read: u64,
    answers: HashMap<String, u32>,
}

impl App {
    /// Starts the app on `port`, its choices drawn from `seed`.
    pub fn start(port: u16, seed: u64, faults: Faults) -> Self {
        let mut app = Self {
            port,
            seed,
            faults,
            generation: 0,
            process: None,
            ledger: tempfile::NamedTempFile::new().unwrap(),
            read: 0,
            answers: HashMap::new(),
        };
        app.restart();
        app
    }

    /// Starts the app (again), once it listens on its port.
    pub fn restart(&mut self) {
        let mut child = Command::new(tools().join("python"))
            .arg(root().join("tests/apps/faulty_app.py"))
            .args(["--port", &self.port.to_string()])
            .arg("--ledger")
            .arg(self.ledger.path())
            .args(["--seed", &self.seed.to_string()])
            .args(["--generation", &self.generation.to_string()])
            .args(["--rates", self.faults.rates])
            .args([
                "--hang-seconds",
                &self.faults.hang.as_secs_f64().to_string(),
            ])
            .args([
                "--keep-alive",
                &self.faults.keep_alive.as_secs_f64().to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        assert_eq!(listening_port(&mut child), self.port);
        self.process = Some(Process(child));
        self.generation += 1;
    }

    /// The port it listens on (when it is up).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(|p| p.0.id())
    }

    /// How long it keeps an idle connection open.
    pub fn keep_alive(&self) -> Duration {
        self.faults.keep_alive
    }

    /// True once, when the app is found to have exited.
    pub fn has_died(&mut self) -> bool {
        let exited = self
            .process
            .as_mut()
            .is_some_and(|p| matches!(p.0.try_wait(), Ok(Some(_))));
        if exited {
            self.process = None;
        }
        exited
    }

    /// What the ledger says since the last call: the records that reached
    /// the app, and those it answered 2xx.
    pub fn ledger_since(&mut self) -> Ledger {
        let mut file = std::fs::File::open(self.ledger.path()).unwrap();
        file.seek(SeekFrom::Start(self.read)).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        // Only whole lines: a line being written is read next time.
        let whole = text.rfind('\n').map_or(0, |end| end + 1);
        self.read += whole as u64;
        let mut ledger = Ledger::default();
        for line in text[..whole].lines() {
            match line.split_once(' ') {
                Some(("arrived", id)) => {
                    ledger.arrived.insert(id.to_owned());
                }
                Some(("2xx", id)) => {
                    *self.answers.entry(id.to_owned()).or_default() += 1;
                    ledger.answered.insert(id.to_owned());
                }
                _ => panic!("not a ledger line: {line:?}"),
            }
        }
        ledger
    }

    /// How many times the app answered each record 2xx, since the last call.
    pub fn take_answers(&mut self) -> HashMap<String, u32> {
        self.ledger_since();
        std::mem::take(&mut self.answers)
    }
}
